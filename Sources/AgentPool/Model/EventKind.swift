/// What a ``PoolEvent`` is: which record it comes from and, for messages and wakes, the status
/// the record gave them.
///
/// Coded as its string, ``rawValue`` — the spelling of records' events, of filters' JSON and of
/// the CLI's `--kind` — so typed kinds change no stored byte.
///
/// ```swift
/// let answers = EventFilter(kinds: .oneOf([.message(.responded), .message(.timedOut)]))
/// if case .message(let status) = event.kind { print(status) }
/// ```
public enum EventKind: RawRepresentable, Codable, Hashable, Sendable {
    /// `agent_pool_created`: the pool's `pool_created`.
    case poolCreated
    /// `agent_pool_run_joined`: a `member_joined` (source: the member).
    case runJoined
    /// `agent_pool_run_left`: a `member_left` (source: the member).
    case runLeft
    /// `run_message_<status>`: a `run_message` (source: the sender; targets: the recipients).
    case message(MessageStatus)
    /// `wake_condition_<status>`: a `wake` (source: the waiting run). Never triggers a wake.
    case wake(WakeStatus)

    /// The kind as records, filters and the CLI spell it, e.g. `run_message_delivered`.
    public var rawValue: String {
        switch self {
        case .poolCreated: "agent_pool_created"
        case .runJoined: "agent_pool_run_joined"
        case .runLeft: "agent_pool_run_left"
        case .message(let status): "run_message_\(status.rawValue)"
        case .wake(let status): "wake_condition_\(status.rawValue)"
        }
    }

    /// The kind spelled `rawValue`; nil for any other string (a typo, or a kind no record
    /// produces), so that an unknown kind cannot be built, only decoded from stored data.
    public init?(rawValue: String) {
        guard let kind = Self.all.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = kind
    }

    /// Every kind a wake condition can be triggered by, in this order: ``poolCreated``,
    /// ``runJoined``, ``runLeft``, then ``message(_:)`` of each ``MessageStatus``. Wake events never
    /// trigger wakes, so tools refuse the ``wake(_:)`` kinds in a wake condition.
    public static let wakeTriggers: [EventKind] =
        [.poolCreated, .runJoined, .runLeft] + MessageStatus.allCases.map(EventKind.message)

    /// Every kind: ``wakeTriggers``, then ``wake(_:)`` of each ``WakeStatus``.
    package static let all: [EventKind] = wakeTriggers + WakeStatus.allCases.map(EventKind.wake)

    /// Every kind's string, for messages that name the valid kinds.
    package static var allSpelled: String { all.map(\.rawValue).joined(separator: ", ") }
}
