/// A pool's configuration, written once by `pool_opened`.
///
/// Two configs are equal when their normalized forms are: policy-ref lists are sets, kept sorted.
public struct PoolConfig: Codable, Hashable, Sendable {
    /// Rules for messages.
    public var messagePolicy: MessagePolicy
    /// Rules for wake conditions.
    public var wakePolicy: WakePolicy
    /// Policy refs a member must hold for wake filters to consider its events.
    public var policyRefs: [PolicyRef] { get { policyRefsStorage } set { policyRefsStorage = newValue } }
    /// Concurrency limits: at most N live (held, not run out) claims at once, across processes,
    /// on messages sent to each address, spelled `topic:T` or `agent:A`. A claim beyond it
    /// returns nothing; the claim stream waits until a claim there ends. Each N is 1 to 1,000,000.
    public var claimLimits: [String: Int] { get { claimLimitsStorage ?? [:] } set { claimLimitsStorage = newValue.isEmpty ? nil : newValue } }

    /// Creates a config. Policy-ref lists are sets: stores keep them sorted and deduplicated.
    public init(messagePolicy: MessagePolicy = MessagePolicy(), wakePolicy: WakePolicy = WakePolicy(), policyRefs: [PolicyRef] = [],
                claimLimits: [String: Int] = [:]) {
        self.messagePolicy = messagePolicy
        self.wakePolicy = wakePolicy
        self.policyRefsStorage = policyRefs
        self.claimLimitsStorage = claimLimits.isEmpty ? nil : claimLimits
    }

    /// The largest concurrency limit a pool may set.
    public static let maxClaimLimit = 1_000_000

    /// The same config with every list sorted and deduplicated.
    package func normalized() -> PoolConfig {
        var config = self
        config.messagePolicy.requiredPolicyRefs = messagePolicy.requiredPolicyRefs.normalizedIDs()
        config.policyRefs = policyRefs.normalizedIDs()
        return config
    }

    /// Throws `invalidInput` naming the first malformed policy ref.
    package func validate() throws(AgentPoolError) {
        try IDValidation.check(messagePolicy.requiredPolicyRefs, field: "config.message_policy.required_policy_refs")
        try IDValidation.check(policyRefs, field: "config.policy_refs")
        for (address, limit) in claimLimits {
            let field = "config.claim_limits"
            guard let target = AddressTarget(spelled: address, pool: ""), target.spelled == address else {
                throw .invalidInput(field: field, "claim limit address '\(address)' must be topic:T or agent:A")
            }
            switch target {
            case .topic(let id), .agent(let id): try IDValidation.check(id, field: field)
            case .run, .pool: throw .invalidInput(field: field, "claim limit address '\(address)' must be topic:T or agent:A")
            }
            guard (1...Self.maxClaimLimit).contains(limit) else {
                throw .invalidInput(field: field, "the claim limit of '\(address)' is \(limit); it must be 1 to \(Self.maxClaimLimit)")
            }
        }
        if !(0...MessagePolicy.maxBodyBytesLimit).contains(messagePolicy.maxBodyBytes) {
            throw .invalidInput(field: "config.message_policy.max_body_bytes",
                                "max_body_bytes is \(messagePolicy.maxBodyBytes); it must be 0 to \(MessagePolicy.maxBodyBytesLimit)")
        }
    }

    // The lists above as coded: omitted when empty (so that a pool opened before limits existed
    // has the same config as one opened without them).
    @OmittedWhenEmpty var policyRefsStorage: [PolicyRef]
    var claimLimitsStorage: [String: Int]?

    enum CodingKeys: String, CodingKey {
        case messagePolicy = "message_policy", wakePolicy = "wake_policy", policyRefsStorage = "policy_refs"
        case claimLimitsStorage = "claim_limits"
    }

    /// Decodes a config; a missing field takes its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            messagePolicy: try container.decodeIfPresent(MessagePolicy.self, forKey: .messagePolicy) ?? MessagePolicy(),
            wakePolicy: try container.decodeIfPresent(WakePolicy.self, forKey: .wakePolicy) ?? WakePolicy(),
            policyRefs: try container.decode(OmittedWhenEmpty<[PolicyRef]>.self, forKey: .policyRefsStorage).wrappedValue,
            claimLimits: try container.decodeIfPresent([String: Int].self, forKey: .claimLimitsStorage) ?? [:])
    }
}

/// Who may send what to whom.
public struct MessagePolicy: Codable, Hashable, Sendable {
    /// Policy refs every message must carry.
    public var requiredPolicyRefs: [PolicyRef] { get { requiredPolicyRefsStorage } set { requiredPolicyRefsStorage = newValue } }
    /// Whether a pool-wide message is also delivered to its sender. Default false.
    public var includeSenderInPoolBroadcast: Bool
    /// The most bytes a message's `body` may take as JSON; a larger one is refused with
    /// `invalidInput` and nothing written. Default 1 MiB; at most 64 MiB.
    public var maxBodyBytes: Int { get { maxBodyBytesStorage ?? Self.defaultMaxBodyBytes } set { maxBodyBytesStorage = newValue == Self.defaultMaxBodyBytes ? nil : newValue } }

    /// The default body limit: 1 MiB.
    package static let defaultMaxBodyBytes = 1 << 20
    /// The largest body limit a pool may set: 64 MiB (each status record carries the body).
    static let maxBodyBytesLimit = 64 << 20

    /// Creates a message policy.
    public init(requiredPolicyRefs: [PolicyRef] = [], includeSenderInPoolBroadcast: Bool = false, maxBodyBytes: Int = 1 << 20) {
        self.requiredPolicyRefsStorage = requiredPolicyRefs
        self.includeSenderInPoolBroadcast = includeSenderInPoolBroadcast
        self.maxBodyBytesStorage = maxBodyBytes == Self.defaultMaxBodyBytes ? nil : maxBodyBytes
    }

    // The lists above as coded: omitted when empty; the body limit omitted when it is the default
    // (so that a pool opened before the limit existed has the same config as one opened with it).
    @OmittedWhenEmpty var requiredPolicyRefsStorage: [PolicyRef]
    var maxBodyBytesStorage: Int?

    enum CodingKeys: String, CodingKey {
        case requiredPolicyRefsStorage = "required_policy_refs"
        case includeSenderInPoolBroadcast = "include_sender_in_pool_broadcast"
        case maxBodyBytesStorage = "max_body_bytes"
    }

    /// Decodes a policy; a missing field takes its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            requiredPolicyRefs: try container.decode(OmittedWhenEmpty<[PolicyRef]>.self, forKey: .requiredPolicyRefsStorage).wrappedValue,
            includeSenderInPoolBroadcast: try container.decodeIfPresent(Bool.self, forKey: .includeSenderInPoolBroadcast) ?? false,
            maxBodyBytes: try container.decodeIfPresent(Int.self, forKey: .maxBodyBytesStorage) ?? Self.defaultMaxBodyBytes)
    }
}

/// How wake filters see events.
public struct WakePolicy: Codable, Hashable, Sendable {
    /// Whether filters match on the envelope only (ids, kinds, runs), never on content. Default true.
    public var envelopeOnly: Bool

    /// Creates a wake policy.
    public init(envelopeOnly: Bool = true) { self.envelopeOnly = envelopeOnly }

    enum CodingKeys: String, CodingKey { case envelopeOnly = "envelope_only" }

    /// Decodes a policy; a missing `envelope_only` is true.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        envelopeOnly = try container.decodeIfPresent(Bool.self, forKey: .envelopeOnly) ?? true
    }
}
