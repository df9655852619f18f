/// One delivery of a message to a run: the `delivered` record's seq and the message id.
public struct InboxEntry: Hashable, Sendable, Codable {
    /// The seq of the `run_message` record with status `delivered`.
    public var seq: Seq
    /// The delivered message.
    public var messageID: MessageID

    /// Creates an entry.
    public init(seq: Seq, messageID: MessageID) {
        self.seq = seq
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey { case seq, messageID = "message_id" }
}
