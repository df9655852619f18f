import AgentPool

/// A message as a tool result shows it to a model: its id and body first, who sent it where,
/// what it answers, and its status. Claim tokens never appear: the server keeps them.
struct MessageView: Encodable, Sendable {
    /// The message id.
    var messageID: MessageID
    /// The inline body (absent when the message carries only a content reference).
    var body: JSONValue?
    /// The sending run.
    var from: RunID
    /// The address, spelled `run:R`, `agent:A`, `topic:T` or `pool`.
    var to: String
    /// The message this one answers.
    var replyTo: MessageID?
    /// Whether it is queued work.
    var queued: Bool
    /// Its status now.
    var status: MessageStatus
    /// The seq of its delivery to this run (inbox items) or of its receipt.
    var cursor: Seq?

    /// The view of `message` with `receipt`; `cursor` defaults to the receipt's.
    init(_ message: Message, receipt: Receipt, cursor: Seq? = nil) {
        messageID = message.messageID
        body = message.body
        from = message.from
        to = message.to.target.spelled
        replyTo = message.replyTo
        queued = message.queued
        status = receipt.status
        self.cursor = cursor ?? receipt.cursor
    }

    /// The view of an inbox item, at its delivery cursor.
    init(_ item: InboxItem) { self.init(item.message, receipt: item.receipt, cursor: item.cursor) }

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", body, from, to, replyTo = "reply_to", queued, status, cursor
    }
}
