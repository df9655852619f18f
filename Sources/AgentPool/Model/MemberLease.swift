/// A member's lease: unless renewed by a heartbeat before `expiresAt`, the member is
/// removed (`member_left`, reason `lease_expired`) by the next write, waiter or sweep.
///
/// Leases live beside the log, not in it: heartbeats never grow the log.
public struct MemberLease: Hashable, Sendable, Codable {
    /// The leased member.
    public var runID: RunID
    /// How long each heartbeat extends the lease.
    public var leaseMillis: Millis
    /// When the lease runs out (store clock, UTC ms).
    public var expiresAt: Millis

    enum CodingKeys: String, CodingKey { case runID = "run_id", leaseMillis = "lease_millis", expiresAt = "expires_at" }

    /// Creates a lease.
    package init(runID: RunID, leaseMillis: Millis, expiresAt: Millis) {
        self.runID = runID
        self.leaseMillis = leaseMillis
        self.expiresAt = expiresAt
    }
}
