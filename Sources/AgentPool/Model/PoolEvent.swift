/// A record seen as an event, the thing wake filters match. Every record except
/// `pool_opened` is an event.
public struct PoolEvent: Hashable, Sendable, Codable {
    /// Which record and status this is, e.g. `.message(.delivered)`; coded as its string,
    /// `run_message_delivered`.
    public var kind: EventKind
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

    /// The event of `record`; nil for `pool_opened` and `checkpoint` (neither is an event).
    public init?(_ record: PoolRecord) {
        cursor = record.seq
        targets = []
        switch record.payload {
        case .poolOpened, .checkpoint:
            return nil
        case .poolCreated:
            kind = .poolCreated
        case .memberJoined(let member):
            kind = .runJoined
            sourceRun = member.runID
        case .memberLeft(let member, _):
            kind = .runLeft
            sourceRun = member.runID
        case .runMessage(let stored):
            kind = .message(stored.receipt.status)
            sourceRun = stored.message.from
            targets = stored.receipt.deliveredTo
            messageID = stored.message.messageID
            if case .topic(let topic) = stored.message.to.target { self.topic = topic }
        case .wake(let stored):
            kind = .wake(stored.registration.status)
            sourceRun = stored.registration.runID
        }
    }

    /// Whether this is a wake event; wake events never trigger wakes.
    package var isWakeEvent: Bool {
        if case .wake = kind { return true }
        return false
    }

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
