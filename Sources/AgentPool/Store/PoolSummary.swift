/// One line of a store's pool listing.
public struct PoolSummary: Hashable, Sendable, Codable {
    /// The pool.
    public var poolID: PoolID
    /// Its cursor.
    public var lastSeq: Seq
    /// How many members it has now.
    public var memberCount: Int
    /// How many distinct messages it holds.
    public var messageCount: Int

    /// Creates a summary.
    public init(poolID: PoolID, lastSeq: Seq, memberCount: Int, messageCount: Int) {
        self.poolID = poolID
        self.lastSeq = lastSeq
        self.memberCount = memberCount
        self.messageCount = messageCount
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", lastSeq = "last_seq", memberCount = "member_count", messageCount = "message_count"
    }
}
