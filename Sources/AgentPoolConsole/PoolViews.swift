import AgentPool

/// A member as the console shows it: the member, its lease, and what the lease means at the
/// read (`time_left_ms` negative once it ran out but the departure is not recorded yet).
struct MemberRow: Encodable, Sendable {
    var member: Member
    var lease: MemberLease?
    var renewedAt: Millis?
    var timeLeftMillis: Millis?

    enum CodingKeys: String, CodingKey {
        case member, lease, renewedAt = "renewed_at", timeLeftMillis = "time_left_ms"
    }

    init(_ member: Member, lease: MemberLease?, now: Millis) {
        self.member = member
        self.lease = lease
        renewedAt = lease.map { $0.expiresAt - $0.leaseMillis }
        timeLeftMillis = lease.map { $0.expiresAt - now }
    }
}

/// A held claim with its message: holder, token, age and time left at the read.
struct ClaimRow: Encodable, Sendable {
    var claim: MessageClaim
    var message: Message?
    var receipt: Receipt?
    var ageMillis: Millis
    var timeLeftMillis: Millis

    enum CodingKeys: String, CodingKey {
        case claim, message, receipt, ageMillis = "age_ms", timeLeftMillis = "time_left_ms"
    }

    init(_ claim: MessageClaim, stored: StoredMessage?, now: Millis) {
        self.claim = claim
        message = stored?.message
        receipt = stored?.receipt
        ageMillis = now - (claim.expiresAt - claim.leaseMillis)
        timeLeftMillis = claim.expiresAt - now
    }
}

/// A page of a pool's messages, most recently active first.
struct MessagePage: Encodable, Sendable {
    var total: Int
    var offset: Int
    var messages: [StoredMessage]
}

/// Everything the pool page shows, read in one consistent read.
struct PoolView: Sendable {
    var poolID: PoolID
    var cursor: Seq
    var now: Millis
    var members: [MemberRow]
    var claims: [ClaimRow]
    var dead: [ClaimedMessage]
    var wakes: [StoredWake]
    var consumers: [ConsumerStatus]
    /// The threads of this page: a message that answers none on the page, with its replies.
    var threads: [[StoredMessage]]
    var threadCount: Int
    var page: Int
    var tail: [PoolRecord]

    /// Threads per page: 10,000 messages stay one small page at a time.
    static let threadsPerPage = 50
    /// Records in the log tail.
    static let tailLength = 20
}
