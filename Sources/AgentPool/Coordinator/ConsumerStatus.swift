/// A durable consumer's position and how far behind the pool it is.
public struct ConsumerStatus: Hashable, Sendable, Codable {
    /// The consumer's name.
    public var name: String
    /// Its last acknowledged seq.
    public var cursor: Seq
    /// Records appended after it: the pool's cursor minus the consumer's.
    public var lag: Seq
    /// When it last acked (UTC ms).
    public var updatedAt: Millis

    enum CodingKeys: String, CodingKey { case name, cursor, lag, updatedAt = "updated_at" }

    /// Creates a status.
    package init(name: String, cursor: Seq, lag: Seq, updatedAt: Millis) {
        self.name = name
        self.cursor = cursor
        self.lag = lag
        self.updatedAt = updatedAt
    }
}
