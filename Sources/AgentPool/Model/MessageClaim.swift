/// Where a message's claim stands.
public enum ClaimStatus: String, Codable, Hashable, Sendable, CaseIterable {
    /// A worker holds the message until `expiresAt`; only its token is accepted.
    case held
    /// Released, or its holder's lease ran out: the message may be claimed again.
    case open
    /// The holder completed or answered the message; the claim is closed.
    case done
    /// The message failed with reason `max_attempts` after too many expired claims.
    case deadLetter = "dead_letter"
    /// A dead letter an operator re-sent as a new message (``MessageClaim/resentAs``).
    case resent
}

/// A message's claim record: who holds it, the current fencing token, and how many
/// claims ran out. Kept in a side table beside the log: claiming, renewing and releasing never
/// grow the log; only a message's status changes (completed, dead letter) are records.
public struct MessageClaim: Hashable, Sendable, Codable {
    /// The claimed message.
    public var messageID: MessageID
    /// Where the claim stands.
    public var status: ClaimStatus
    /// The run holding the message while ``status`` is `held`; else the last holder.
    public var runID: RunID
    /// The last fencing token issued for this message: 1 for its first claim, then strictly
    /// increasing. Only the current token of a live `held` claim is accepted.
    public var token: Int64
    /// How long the claim lasts from its grant or renewal.
    public var leaseMillis: Millis
    /// When a `held` claim runs out (store clock, UTC ms).
    public var expiresAt: Millis
    /// How many claims of this message ran out without completion or release.
    public var expiredCount: Int
    /// After this many expired claims the message fails with reason `max_attempts`.
    public var maxAttempts: Int
    /// For a `resent` dead letter: the id of the message that replaced it.
    public var resentAs: MessageID?

    /// Whether `run` holding `token` may act on the message at `now`: the claim is `held` by
    /// `run`, `token` is the current one, and it has not run out.
    package func accepts(run: RunID, token: Int64, at now: Millis) -> Bool {
        status == .held && runID == run && self.token == token && expiresAt > now
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", status, runID = "run_id", token, leaseMillis = "lease_millis"
        case expiresAt = "expires_at", expiredCount = "expired_count", maxAttempts = "max_attempts", resentAs = "resent_as"
    }

    /// Creates a claim record.
    package init(messageID: MessageID, status: ClaimStatus, runID: RunID, token: Int64, leaseMillis: Millis,
                expiresAt: Millis, expiredCount: Int = 0, maxAttempts: Int, resentAs: MessageID? = nil) {
        self.messageID = messageID
        self.status = status
        self.runID = runID
        self.token = token
        self.leaseMillis = leaseMillis
        self.expiresAt = expiresAt
        self.expiredCount = expiredCount
        self.maxAttempts = maxAttempts
        self.resentAs = resentAs
    }
}
