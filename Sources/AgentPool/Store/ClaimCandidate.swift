/// An entry of the claim queue: a delivered message, the seq of its latest record, and its claim
/// record if it was ever claimed.
public struct ClaimCandidate: Hashable, Sendable {
    /// The seq of the message's latest record (the queue's order).
    public var seq: Seq
    /// The message and its receipt.
    public var stored: StoredMessage
    /// Its claim record, if any.
    public var claim: MessageClaim?

    /// Creates a candidate.
    package init(seq: Seq, stored: StoredMessage, claim: MessageClaim?) {
        self.seq = seq
        self.stored = stored
        self.claim = claim
    }
}
