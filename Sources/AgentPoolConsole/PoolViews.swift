import AgentPool

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
    var members: [MemberStatus]
    var claims: [ClaimDetail]
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
