/// A claim with the message it is for, as of one read, and for a held claim its age and time
/// left at that moment: what `agentpool claims`, the console and `GET …/claims` show.
public struct ClaimDetail: Codable, Hashable, Sendable {
    /// The claim record (`status`, `run_id`, `token`, `lease_millis`, `expires_at`,
    /// `expired_count`, `max_attempts`, `resent_as`).
    public var claim: MessageClaim
    /// The claimed message (its `content_ref` and everything else it carries).
    public var message: Message?
    /// The message's current receipt.
    public var receipt: Receipt?
    /// For a held claim: milliseconds since it was granted or last extended
    /// (`expires_at − lease_millis`); nil otherwise.
    public var ageMillis: Millis?
    /// For a held claim: milliseconds from the read until it runs out, negative once it ran out
    /// but is not counted yet; nil otherwise.
    public var timeLeftMillis: Millis?

    enum CodingKeys: String, CodingKey {
        case claim, message, receipt, ageMillis = "age_ms", timeLeftMillis = "time_left_ms"
    }

    /// `claim` with its message, seen at `now` (the store's clock, UTC ms).
    public init(_ claim: MessageClaim, stored: StoredMessage?, now: Millis) {
        self.claim = claim
        message = stored?.message
        receipt = stored?.receipt
        let held = claim.status == .held
        ageMillis = held ? now - (claim.expiresAt - claim.leaseMillis) : nil
        timeLeftMillis = held ? claim.expiresAt - now : nil
    }
}

extension PoolReader {
    /// The claims with one of `statuses` (of `run`'s, when given), each with its message, seen
    /// at `now`, in the byte order of message ids.
    package func claimDetails(statuses: [ClaimStatus], run: RunID?, now: Millis) throws -> [ClaimDetail] {
        // One list per status, each in the store's byte order of message ids: merged the same way.
        let claims = try statuses.flatMap { try self.claims(status: $0, run: run) }
            .sorted { $0.messageID.utf8.lexicographicallyPrecedes($1.messageID.utf8) }
        return try claims.map { ClaimDetail($0, stored: try message($0.messageID), now: now) }
    }
}

extension PoolHandle {
    /// The claims with one of `statuses` (default: every status), of `run`'s when given, each
    /// with its message, as of one consistent read, in the byte order of message ids.
    ///
    /// - Throws: `poolNotFound`; `invalidInput` for a malformed run id.
    public func claimDetails(statuses: [ClaimStatus] = ClaimStatus.allCases, run: RunID? = nil) async throws -> [ClaimDetail] {
        if let run { try IDValidation.check(run, field: "run_id") }
        return try await store.read(poolID) { [clock = store.clock] reader in
            _ = try reader.requireInfo()
            return try reader.claimDetails(statuses: statuses, run: run, now: clock.nowMillis())
        }
    }
}
