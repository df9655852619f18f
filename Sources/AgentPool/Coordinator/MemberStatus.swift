/// A member with its lease as of one read, and what the lease means at that moment: what
/// `agentpool members`, the console and `GET /api/pools/{pool}/members` show.
public struct MemberStatus: Codable, Hashable, Sendable {
    /// The member as stored (`run_id`, `agent_id`, `topics`, `policy_refs`).
    public var member: Member
    /// Its lease (`lease_millis`, `expires_at`); nil for a member that joined without one.
    public var lease: MemberLease?
    /// When the lease was last granted or renewed, by the join or a heartbeat
    /// (`expires_at − lease_millis`).
    public var renewedAt: Millis?
    /// Milliseconds from the read until the lease runs out; negative once it ran out but its
    /// departure is not recorded yet.
    public var timeLeftMillis: Millis?

    enum CodingKeys: String, CodingKey {
        case member, lease, renewedAt = "renewed_at", timeLeftMillis = "time_left_ms"
    }

    /// `member` with `lease`, seen at `now` (the store's clock, UTC ms).
    public init(_ member: Member, lease: MemberLease?, now: Millis) {
        self.member = member
        self.lease = lease
        renewedAt = lease.map { $0.expiresAt - $0.leaseMillis }
        timeLeftMillis = lease.map { $0.expiresAt - now }
    }
}

extension PoolReader {
    /// Every member with its lease, seen at `now`, in the store's order of run ids.
    package func memberStatuses(now: Millis) throws -> [MemberStatus] {
        try members().map { MemberStatus($0, lease: try lease($0.runID), now: now) }
    }
}

extension PoolHandle {
    /// Every member with its lease as of one consistent read, in the store's order of run ids.
    ///
    /// - Throws: `poolNotFound`.
    public func memberStatuses() async throws -> [MemberStatus] {
        try await store.read(poolID) { [clock = store.clock] reader in
            _ = try reader.requireInfo()
            return try reader.memberStatuses(now: clock.nowMillis())
        }
    }
}
