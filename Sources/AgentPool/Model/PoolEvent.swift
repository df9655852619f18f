/// A record seen as an event, the thing wake filters match. Every record except
/// `pool_opened` is an event.
public struct PoolEvent: Hashable, Sendable, Codable {
    /// `agent_pool_created`, `agent_pool_run_joined`, `agent_pool_run_left`,
    /// `run_message_<status>` or `wake_condition_<status>`.
    public var kind: String
    /// The member that joined or left, the sender, or the waiting run.
    public var sourceRun: RunID?
    /// The recipients of a message, sorted.
    public var targets: [RunID]
    /// The message, for message events.
    public var messageID: MessageID?
    /// The addressed topic, for messages sent to a topic.
    public var topic: TopicID?
    /// The record's seq.
    public var cursor: Seq

    /// The event kind strings, one per record kind and status.
    public enum Kind {
        /// The event of `pool_created`.
        public static let poolCreated = "agent_pool_created"
        /// The event of `member_joined`.
        public static let runJoined = "agent_pool_run_joined"
        /// The event of `member_left`.
        public static let runLeft = "agent_pool_run_left"
        /// `run_message_<status>`.
        public static func message(_ status: MessageStatus) -> String { "run_message_\(status.rawValue)" }
        /// `wake_condition_<status>`.
        public static func wake(_ status: WakeStatus) -> String { "wake_condition_\(status.rawValue)" }

        /// Every kind a wake condition can be triggered by, in this order: ``poolCreated``,
        /// ``runJoined``, ``runLeft``, then ``message(_:)`` of each ``MessageStatus``. A kind not
        /// listed never fires a wake (wake events never trigger wakes), so tools refuse it.
        public static let wakeTriggers: [String] =
            [poolCreated, runJoined, runLeft] + MessageStatus.allCases.map(message)
    }

    /// The event of `record`; nil for `pool_opened` and `checkpoint` (neither is an event).
    public init?(_ record: PoolRecord) {
        cursor = record.seq
        targets = []
        switch record.payload {
        case .poolOpened, .checkpoint:
            return nil
        case .poolCreated:
            kind = Kind.poolCreated
        case .memberJoined(let member):
            kind = Kind.runJoined
            sourceRun = member.runID
        case .memberLeft(let member, _):
            kind = Kind.runLeft
            sourceRun = member.runID
        case .runMessage(let stored):
            kind = Kind.message(stored.receipt.status)
            sourceRun = stored.message.from
            targets = stored.receipt.deliveredTo
            messageID = stored.message.messageID
            if case .topic(let topic) = stored.message.to.target { self.topic = topic }
        case .wake(let stored):
            kind = Kind.wake(stored.registration.status)
            sourceRun = stored.registration.runID
        }
    }

    /// Whether this is a wake event; wake events never trigger wakes.
    package var isWakeEvent: Bool { kind.hasPrefix("wake_condition_") }

    enum CodingKeys: String, CodingKey {
        case kind, sourceRun = "source_run", targets, messageID = "message_id", topic, cursor
    }
}

extension EventFilter {
    /// Whether `event` matches: every facet must match.
    public func matches(_ event: PoolEvent) -> Bool {
        sourceRuns.matches(event.sourceRun)
            && kinds.matches(event.kind)
            && targets.matchesAny(event.targets)
            && messageIDs.matches(event.messageID)
    }
}

extension CompiledFilter {
    /// Whether `event` matches the filter and comes from a run in scope (events without a source
    /// run, such as `agent_pool_created`, are pool-wide and always in scope).
    package func matches(_ event: PoolEvent) -> Bool {
        guard filter.matches(event) else { return false }
        guard let source = event.sourceRun, let scope = scopeRuns else { return true }
        return scope.contains(source)
    }
}
