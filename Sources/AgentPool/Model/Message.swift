/// A request from one run to a run, an agent, a topic or the whole pool.
public struct Message: Codable, Hashable, Sendable {
    /// Unique per pool.
    public var messageID: MessageID
    /// The sending run.
    public var from: RunID
    /// Where the message goes.
    public var to: Address
    /// Reference to content stored elsewhere; may be empty when the message carries a ``body``.
    public var contentRef: ContentRef
    /// The content itself, inline: any JSON value, at most the pool's
    /// ``MessagePolicy/maxBodyBytes`` when encoded (1 MiB by default).
    public var body: JSONValue?
    /// Free-form correlation data (metadata: at most 16 KiB as JSON; content belongs in ``body``).
    public var correlation: [String: JSONValue]?
    /// Whether the message is queued work: claimable by any member the address selects at claim
    /// time (members that join later included), instead of delivered to the members it selects
    /// now. A queued message goes to no inbox and never fails for want of a recipient.
    public var queued: Bool { get { queuedStorage ?? false } set { queuedStorage = newValue ? true : nil } }
    /// The message this one answers.
    public var replyTo: MessageID?
    /// How many answers are expected and for how long.
    public var responseContract: ResponseContract?
    /// Absolute expiry (UTC ms): at or after it the message is `expired`.
    public var expiresAtMillis: Millis?
    /// Dedupe key: the same key with the same message returns the same receipt.
    public var idempotencyKey: IdempotencyKey
    /// Policy refs the message carries; sorted, deduplicated.
    public var policyRefs: [PolicyRef] { get { policyRefsStorage } set { policyRefsStorage = newValue } }
    /// Not before this instant (UTC ms, store clock): until then the message stays `accepted` —
    /// in no inbox, claimable by nobody — and the first write at or after it delivers it (a
    /// waiter or claim stream sleeps until then, it does not poll).
    public var notBeforeMillis: Millis?
    /// Claim priority, ``Message/priorityRange``: claims take higher priority first, then the
    /// oldest; equal priorities stay first in, first out. 0 (the default) is stored as absent.
    public var priority: Int { get { priorityStorage ?? 0 } set { priorityStorage = newValue == 0 ? nil : newValue } }
    /// The messages (tasks) this one waits for: it stays `accepted` until every one of them is
    /// `responded`, and fails with reason `dependency_failed: <id>` when one ends otherwise. Each
    /// must exist when this one is sent; sorted, deduplicated.
    public var after: [MessageID] { get { afterStorage } set { afterStorage = newValue } }

    /// Creates a message. `policyRefs` is a set: stores keep it sorted and deduplicated.
    public init(
        messageID: MessageID, from: RunID, to: Address, contentRef: ContentRef = "", body: JSONValue? = nil,
        idempotencyKey: IdempotencyKey, correlation: [String: JSONValue]? = nil, replyTo: MessageID? = nil,
        responseContract: ResponseContract? = nil, expiresAtMillis: Millis? = nil, policyRefs: [PolicyRef] = [],
        queued: Bool = false, notBeforeMillis: Millis? = nil, priority: Int = 0, after: [MessageID] = []
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.contentRef = contentRef
        self.body = body
        self.correlation = correlation
        self.queuedStorage = queued ? true : nil
        self.replyTo = replyTo
        self.responseContract = responseContract
        self.expiresAtMillis = expiresAtMillis
        self.idempotencyKey = idempotencyKey
        self.policyRefsStorage = policyRefs
        self.notBeforeMillis = notBeforeMillis
        self.priorityStorage = priority == 0 ? nil : priority
        self.afterStorage = after
    }

    /// The priorities a message may carry: -1,000,000 to 1,000,000.
    public static let priorityRange = -1_000_000...1_000_000

    /// The most messages one message may wait for (``after``): 1,000.
    public static let maxDependencies = 1_000

    /// The same message with `policyRefs` sorted and deduplicated, and its body and correlation
    /// in their ``JSONValue/canonical`` form (what a stored copy reads back as).
    package func normalized() -> Message {
        var message = self
        message.policyRefs = policyRefs.normalizedIDs()
        message.after = after.normalizedIDs()
        message.body = body?.canonical
        message.correlation = correlation?.mapValues(\.canonical)
        return message
    }

    /// Throws `invalidInput` naming the first malformed field.
    package func validate() throws(AgentPoolError) {
        try IDValidation.check(messageID, field: "message.message_id")
        try IDValidation.check(from, field: "message.from")
        try to.validate(field: "message.to")
        if !contentRef.isEmpty || body == nil {
            try IDValidation.check(contentRef, field: "message.content_ref", requireNFC: false)
        }
        if queued, replyTo != nil {
            throw .invalidInput(field: "message.queue", "a reply cannot be queued work")
        }
        if let body {
            if body == .null { throw .invalidInput(field: "message.body", "a body must not be null; omit it instead") }
            try JSONLimits.checkDepth(body, field: "message.body")
        }
        if let correlation {
            let value = JSONValue.object(correlation)
            try JSONLimits.checkDepth(value, field: "message.correlation")
            try JSONLimits.checkSize(value, atMost: Self.maxCorrelationBytes, field: "message.correlation",
                                     hint: "correlation is metadata; put content in the body")
        }
        try IDValidation.check(idempotencyKey, field: "message.idempotency_key")
        if let replyTo { try IDValidation.check(replyTo, field: "message.reply_to") }
        try IDValidation.check(policyRefs, field: "message.policy_refs")
        if let notBefore = notBeforeMillis {
            try DurationLimits.checkInstant(notBefore, field: "message.not_before_millis")
        }
        if let expiry = expiresAtMillis {
            try DurationLimits.checkInstant(expiry, field: "message.expires_at_millis")
        }
        guard Self.priorityRange.contains(priority) else {
            throw .invalidInput(field: "message.priority",
                "priority is \(priority); it must be \(Self.priorityRange.lowerBound) to \(Self.priorityRange.upperBound) (higher is claimed first)")
        }
        if !after.isEmpty {
            try IDValidation.check(after, field: "message.after")
            guard after.count <= Self.maxDependencies else {
                throw .invalidInput(field: "message.after", "a message may wait for at most \(Self.maxDependencies) messages; it names \(after.count)")
            }
            if after.contains(messageID) {
                throw .invalidInput(field: "message.after", "message '\(messageID)' cannot wait for itself")
            }
            if replyTo != nil {
                throw .invalidInput(field: "message.after", "a reply is delivered at once; it cannot wait for other messages")
            }
        }
        if notBeforeMillis != nil, replyTo != nil {
            throw .invalidInput(field: "message.not_before_millis", "a reply is delivered at once; it cannot be scheduled")
        }
        if let contract = responseContract {
            if let expected = contract.expectedResponses, expected < 1 {
                throw .invalidInput(field: "message.response_contract.expected_responses", "expected_responses must be at least 1")
            }
            if let timeout = contract.timeoutMillis {
                try DurationLimits.check(timeout, atLeast: 0, field: "message.response_contract.timeout_millis")
            }
        }
    }

    /// The most bytes a message's `correlation` may take as JSON: 16 KiB.
    package static let maxCorrelationBytes = 16 * 1024

    // The lists above as coded: omitted when empty; `queue` omitted when false.
    @OmittedWhenEmpty var policyRefsStorage: [PolicyRef]
    var queuedStorage: Bool?
    var priorityStorage: Int?
    @OmittedWhenEmpty var afterStorage: [MessageID]

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", from, to, contentRef = "content_ref", body, correlation, queuedStorage = "queue"
        case replyTo = "reply_to", responseContract = "response_contract"
        case expiresAtMillis = "expires_at_millis", idempotencyKey = "idempotency_key", policyRefsStorage = "policy_refs"
        case notBeforeMillis = "not_before_millis", priorityStorage = "priority", afterStorage = "after"
    }
}

/// What answers a message expects.
public struct ResponseContract: Codable, Hashable, Sendable {
    /// Replies from distinct recipients needed for `responded`; default 1.
    public var expectedResponses: Int?
    /// Time after delivery before the message becomes `timed_out`.
    public var timeoutMillis: Millis?

    /// Creates a contract.
    public init(expectedResponses: Int? = nil, timeoutMillis: Millis? = nil) {
        self.expectedResponses = expectedResponses
        self.timeoutMillis = timeoutMillis
    }

    enum CodingKeys: String, CodingKey {
        case expectedResponses = "expected_responses", timeoutMillis = "timeout_millis"
    }
}
