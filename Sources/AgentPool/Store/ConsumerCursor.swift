/// A durable consumer's stored position in a pool's log.
public struct ConsumerCursor: Hashable, Sendable, Codable {
    /// The consumer's name, unique per pool.
    public var name: String
    /// The last acknowledged seq: the consumer resumes after it.
    public var cursor: Seq
    /// When it last acked (store clock, UTC ms).
    public var updatedAt: Millis

    /// Creates a consumer cursor.
    public init(name: String, cursor: Seq, updatedAt: Millis) {
        self.name = name
        self.cursor = cursor
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey { case name, cursor, updatedAt = "updated_at" }
}
