/// A pool's current state. Equal to the reducer's replay of the pool's full log.
public struct Snapshot: Codable, Hashable, Sendable {
    /// The pool.
    public var poolID: PoolID
    /// Whether `pool_created` was recorded.
    public var created: Bool
    /// Members, sorted by run id.
    public var members: [Member]
    /// The sorted union of member topics.
    public var topics: [TopicID]
    /// The pool's message policy.
    public var messagePolicy: MessagePolicy
    /// The pool's wake policy.
    public var wakePolicy: WakePolicy
    /// The pool's policy refs.
    public var policyRefs: [PolicyRef]
    /// The pool's concurrency limits (``PoolConfig/claimLimits``).
    public var claimLimits: [String: Int] { get { claimLimitsStorage ?? [:] } set { claimLimitsStorage = newValue.isEmpty ? nil : newValue } }
    /// Latest message + receipt per message id, sorted by id.
    public var messages: [StoredMessage]
    /// Latest wake per condition id, sorted by id.
    public var wakes: [StoredWake]
    /// The last seq; nil when the pool has no record.
    public var cursor: Seq?

    /// The pool's config.
    public var config: PoolConfig {
        PoolConfig(messagePolicy: messagePolicy, wakePolicy: wakePolicy, policyRefs: policyRefs, claimLimits: claimLimits)
    }

    // Omitted when empty: a snapshot of a pool without limits reads as before they existed.
    var claimLimitsStorage: [String: Int]?

    /// The member with `run`, if any.
    public func member(_ run: RunID) -> Member? { members.first { $0.runID == run } }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", created, members, topics, messagePolicy = "message_policy"
        case wakePolicy = "wake_policy", policyRefs = "policy_refs", messages, wakes, cursor, claimLimitsStorage = "claim_limits"
    }

    /// Creates a snapshot from its parts (backends build it from their projections).
    package init(
        poolID: PoolID, created: Bool, members: [Member], topics: [TopicID], config: PoolConfig,
        messages: [StoredMessage], wakes: [StoredWake], cursor: Seq?
    ) {
        self.poolID = poolID
        self.created = created
        self.members = members
        self.topics = topics
        self.messagePolicy = config.messagePolicy
        self.wakePolicy = config.wakePolicy
        self.policyRefs = config.policyRefs
        self.claimLimitsStorage = config.claimLimits.isEmpty ? nil : config.claimLimits
        self.messages = messages
        self.wakes = wakes
        self.cursor = cursor
    }
}
