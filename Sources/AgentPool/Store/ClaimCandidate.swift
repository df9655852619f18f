/// An entry of the claim queue: a delivered message, the seq of its latest record, and its claim
/// record if it was ever claimed.
public struct ClaimCandidate: Hashable, Sendable {
    /// The seq of the message's latest record (the queue's order within one priority).
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

    /// Its place in the claim queue.
    public var position: ClaimQueuePosition { ClaimQueuePosition(priority: stored.message.priority, seq: seq) }
}

/// A place in the claim queue, whose order is higher ``Message/priority`` first, then older
/// (lower seq) first. Backends store and index `rank` (the negated priority) beside the seq, so
/// that the queue is one ascending index range from any position.
public struct ClaimQueuePosition: Hashable, Sendable, Comparable {
    /// The negated priority: ascending rank is descending priority.
    public var rank: Int64
    /// The seq of the message's latest record.
    public var seq: Seq

    /// The position of a message of `priority` whose latest record is `seq`.
    public init(priority: Int, seq: Seq) {
        rank = -Int64(priority)
        self.seq = seq
    }

    /// The position of `rank` (a negated priority) and `seq`.
    package init(rank: Int64, seq: Seq) {
        self.rank = rank
        self.seq = seq
    }

    /// Before every message: where a claim starts reading.
    public static let start = ClaimQueuePosition(priority: Message.priorityRange.upperBound + 1, seq: 0)

    /// Queue order: by rank (higher priority first), then by seq (older first).
    public static func < (lhs: ClaimQueuePosition, rhs: ClaimQueuePosition) -> Bool {
        (lhs.rank, lhs.seq) < (rhs.rank, rhs.seq)
    }
}
