/// A message delivered to a run, with its delivery cursor and current receipt.
public struct InboxItem: Hashable, Sendable, Codable {
    /// The seq of the delivery; pass the last one as `after` to read on.
    public var cursor: Seq
    /// The message.
    public var message: Message
    /// Its current receipt.
    public var receipt: Receipt
}
