/// The status of a message. First terminal status wins.
public enum MessageStatus: String, Codable, Hashable, Sendable, CaseIterable {
    /// Recorded; recipients not yet resolved. A message stays accepted while it is not yet due
    /// (``Message/notBeforeMillis``) or waits for other messages (``Receipt/waitingFor``).
    case accepted
    /// Delivered to its recipients; awaiting replies if it expects any.
    case delivered
    /// Final: enough distinct recipients replied.
    case responded
    /// Final: no recipient, a required policy ref was missing, or too many claims of it ran out
    /// (`max_attempts`, a dead letter).
    case failed
    /// Final: the response deadline passed.
    case timedOut = "timed_out"
    /// Final: sent at or after its expiry.
    case expired
    /// Final: cancelled before it was final.
    case cancelled

    /// Whether no further transition is allowed.
    public var isFinal: Bool {
        switch self {
        case .accepted, .delivered: false
        default: true
        }
    }

    /// Whether a message may be first recorded with this status.
    package var isInitial: Bool { self == .accepted || self == .failed || self == .expired }

    /// Whether the status machine allows `self → next`.
    package func canTransition(to next: MessageStatus) -> Bool {
        switch self {
        case .accepted: [.delivered, .failed, .expired, .cancelled, .timedOut].contains(next)
        // delivered → failed: a claimed message dead-lettered after max_attempts.
        case .delivered: [.responded, .timedOut, .cancelled, .failed].contains(next)
        default: false
        }
    }
}

/// The latest delivery status of a message, with its recipients.
public struct Receipt: Codable, Hashable, Sendable {
    /// The message.
    public var messageID: MessageID
    /// The current status.
    public var status: MessageStatus
    /// The resolved recipients, sorted.
    public var deliveredTo: [RunID] { get { deliveredToStorage } set { deliveredToStorage = newValue } }
    /// Distinct recipients that replied, sorted.
    public var respondedBy: [RunID] { get { respondedByStorage } set { respondedByStorage = newValue } }
    /// Absolute deadline (UTC ms) for replies, set on delivery when the contract has a timeout.
    public var responseDeadlineMillis: Millis?
    /// Why the message failed, when it did (e.g. `no_recipient`).
    public var reason: String?
    /// The seq of the record that stored this receipt.
    public var cursor: Seq?
    /// While `accepted`: the messages of ``Message/after`` not yet `responded`, sorted.
    public var waitingFor: [MessageID] { get { waitingForStorage } set { waitingForStorage = newValue } }

    /// The same receipt with run lists sorted and deduplicated.
    package func normalized() -> Receipt {
        var receipt = self
        receipt.deliveredTo = deliveredTo.normalizedIDs()
        receipt.respondedBy = respondedBy.normalizedIDs()
        receipt.waitingFor = waitingFor.normalizedIDs()
        return receipt
    }

    // The lists above as coded: omitted when empty.
    @OmittedWhenEmpty var deliveredToStorage: [RunID]
    @OmittedWhenEmpty var respondedByStorage: [RunID]
    @OmittedWhenEmpty var waitingForStorage: [MessageID]

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", status, deliveredToStorage = "delivered_to", respondedByStorage = "responded_by"
        case responseDeadlineMillis = "response_deadline_millis", reason, cursor, waitingForStorage = "waiting_for"
    }

    /// Creates a receipt. Run lists are sets: stores keep them sorted (``normalized()``).
    package init(
        messageID: MessageID, status: MessageStatus, deliveredTo: [RunID] = [], respondedBy: [RunID] = [],
        responseDeadlineMillis: Millis? = nil, reason: String? = nil, cursor: Seq? = nil, waitingFor: [MessageID] = []
    ) {
        self.messageID = messageID
        self.status = status
        self.deliveredToStorage = deliveredTo
        self.respondedByStorage = respondedBy
        self.responseDeadlineMillis = responseDeadlineMillis
        self.reason = reason
        self.cursor = cursor
        self.waitingForStorage = waitingFor
    }
}
