/// A message with its latest receipt: the payload of a `run_message` record.
public struct StoredMessage: Codable, Hashable, Sendable {
    /// The message as sent.
    public var message: Message
    /// Its latest receipt.
    public var receipt: Receipt

    /// Message and receipt normalized.
    package func normalized() -> StoredMessage {
        StoredMessage(message: message.normalized(), receipt: receipt.normalized())
    }

    /// Pairs a message with a receipt.
    package init(message: Message, receipt: Receipt) {
        self.message = message
        self.receipt = receipt
    }
}

extension StoredMessage {
    /// The deadline this message is swept at, if any (see ``PoolReader/dueMessages(at:limit:)``).
    package var deadline: Millis? { receipt.status.deadline(of: receipt) }
}
