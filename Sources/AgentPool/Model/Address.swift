/// Where a message goes: one run, every run of an agent, a topic's subscribers, or
/// the whole pool.
public struct Address: Codable, Hashable, Sendable {
    /// The recipient selector.
    public var target: AddressTarget
    /// Seed-format field, kept when present.
    public var destinationRef: String?
    /// Seed-format field, kept when present.
    public var relatedRefs: [String] { get { relatedRefsStorage } set { relatedRefsStorage = newValue } }

    /// Creates an address.
    public init(target: AddressTarget, destinationRef: String? = nil, relatedRefs: [String] = []) {
        self.target = target
        self.destinationRef = destinationRef
        self.relatedRefsStorage = relatedRefs
    }

    /// Addresses one run.
    public static func run(_ id: RunID) -> Address { Address(target: .run(id)) }
    /// Addresses every member run of an agent.
    public static func agent(_ id: AgentID) -> Address { Address(target: .agent(id)) }
    /// Addresses every member subscribed to a topic.
    public static func topic(_ id: TopicID) -> Address { Address(target: .topic(id)) }
    /// Addresses every member of the pool.
    public static func pool(_ id: PoolID) -> Address { Address(target: .pool(id)) }

    /// Throws `invalidInput` naming the first malformed field.
    package func validate(field: String) throws(AgentPoolError) {
        switch target {
        case .run(let id): try IDValidation.check(id, field: "\(field).target.run_id")
        case .agent(let id): try IDValidation.check(id, field: "\(field).target.agent_id")
        case .topic(let id): try IDValidation.check(id, field: "\(field).target.topic_id")
        case .pool(let id): try IDValidation.check(id, field: "\(field).target.pool_id")
        }
    }

    // The lists above as coded: omitted when empty.
    @OmittedWhenEmpty var relatedRefsStorage: [String]

    enum CodingKeys: String, CodingKey {
        case target, destinationRef = "destination_ref", relatedRefsStorage = "related_refs"
    }
}

/// The recipient selector of an ``Address``; JSON `{"type":"run","run_id":…}` and so on.
public enum AddressTarget: Codable, Hashable, Sendable {
    /// One run.
    case run(RunID)
    /// Every member run of an agent.
    case agent(AgentID)
    /// Every member subscribed to a topic.
    case topic(TopicID)
    /// Every member of the pool.
    case pool(PoolID)

    enum CodingKeys: String, CodingKey {
        case type, runID = "run_id", agentID = "agent_id", topicID = "topic_id", poolID = "pool_id"
    }

    /// Decodes `{"type":…,"<type>_id":…}`; an unknown type is a `DecodingError`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "run": self = .run(try container.decode(String.self, forKey: .runID))
        case "agent": self = .agent(try container.decode(String.self, forKey: .agentID))
        case "topic": self = .topic(try container.decode(String.self, forKey: .topicID))
        case "pool": self = .pool(try container.decode(String.self, forKey: .poolID))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown address target type '\(type)'")
        }
    }

    /// Encodes `{"type":"run","run_id":…}` and so on.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .run(let id): try container.encode("run", forKey: .type); try container.encode(id, forKey: .runID)
        case .agent(let id): try container.encode("agent", forKey: .type); try container.encode(id, forKey: .agentID)
        case .topic(let id): try container.encode("topic", forKey: .type); try container.encode(id, forKey: .topicID)
        case .pool(let id): try container.encode("pool", forKey: .type); try container.encode(id, forKey: .poolID)
        }
    }
}
