/// A request from one run to a run, an agent, a topic or the whole pool.
public struct Message: Codable, Hashable, Sendable {
    /// Unique per pool.
    public var messageID: MessageID
    /// The sending run.
    public var from: RunID
    /// Where the message goes.
    public var to: Address
    /// Reference to the content, stored elsewhere.
    public var contentRef: ContentRef
    /// Free-form correlation data.
    public var correlation: [String: JSONValue]?
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

    /// Creates a message. `policyRefs` is a set: stores keep it sorted and deduplicated.
    public init(
        messageID: MessageID, from: RunID, to: Address, contentRef: ContentRef,
        idempotencyKey: IdempotencyKey, correlation: [String: JSONValue]? = nil, replyTo: MessageID? = nil,
        responseContract: ResponseContract? = nil, expiresAtMillis: Millis? = nil, policyRefs: [PolicyRef] = []
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.contentRef = contentRef
        self.correlation = correlation
        self.replyTo = replyTo
        self.responseContract = responseContract
        self.expiresAtMillis = expiresAtMillis
        self.idempotencyKey = idempotencyKey
        self.policyRefsStorage = policyRefs
    }

    /// The same message with `policyRefs` sorted and deduplicated.
    package func normalized() -> Message {
        var message = self
        message.policyRefs = policyRefs.normalizedIDs()
        return message
    }

    /// Throws `invalidInput` naming the first malformed field.
    package func validate() throws(AgentPoolError) {
        try IDValidation.check(messageID, field: "message.message_id")
        try IDValidation.check(from, field: "message.from")
        try to.validate(field: "message.to")
        try IDValidation.check(contentRef, field: "message.content_ref")
        try IDValidation.check(idempotencyKey, field: "message.idempotency_key")
        if let replyTo { try IDValidation.check(replyTo, field: "message.reply_to") }
        try IDValidation.check(policyRefs, field: "message.policy_refs")
        if let contract = responseContract {
            if let expected = contract.expectedResponses, expected < 1 {
                throw .invalidInput(field: "message.response_contract.expected_responses", "expected_responses must be at least 1")
            }
            if let timeout = contract.timeoutMillis, timeout < 0 {
                throw .invalidInput(field: "message.response_contract.timeout_millis", "timeout_millis must not be negative")
            }
        }
    }

    // The lists above as coded: omitted when empty.
    @OmittedWhenEmpty var policyRefsStorage: [PolicyRef]

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id", from, to, contentRef = "content_ref", correlation
        case replyTo = "reply_to", responseContract = "response_contract"
        case expiresAtMillis = "expires_at_millis", idempotencyKey = "idempotency_key", policyRefsStorage = "policy_refs"
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
