/// The status of a wake registration. Every status but `registered` is final.
public enum WakeStatus: String, Codable, Hashable, Sendable, CaseIterable {
    /// Waiting for a matching event.
    case registered
    /// Final: a matching event happened (its cursor is the registration's `matchingCursor`).
    case triggered
    /// Final: the deadline passed first.
    case timedOut = "timed_out"
    /// Final: cancelled while registered.
    case cancelled
    /// Final: the wake cannot be served.
    case failed

    /// Whether no further transition is allowed.
    public var isFinal: Bool { self != .registered }

    /// Whether the status machine allows `self → next`.
    package func canTransition(to next: WakeStatus) -> Bool {
        self == .registered && next != .registered
    }
}

/// The latest status of a wake condition.
public struct Registration: Codable, Hashable, Sendable {
    /// The condition.
    public var conditionID: ConditionID
    /// The waiting run.
    public var runID: RunID
    /// The current status.
    public var status: WakeStatus
    /// Absolute deadline (UTC ms) after which the wake is `timed_out`.
    public var deadlineMillis: Millis?
    /// The cursor of the event that triggered the wake.
    public var matchingCursor: Seq?
    /// Why the wake failed or was cancelled, when known.
    public var reason: String?
    /// For a triggered condition with ``WakeCondition/anyOf``: the index of the alternative the
    /// triggering event matched (the first that did). Nil otherwise.
    public var matchedFilter: Int?

    enum CodingKeys: String, CodingKey {
        case conditionID = "condition_id", runID = "run_id", status
        case deadlineMillis = "deadline_millis", matchingCursor = "matching_cursor", reason, matchedFilter = "matched_filter"
    }

    /// Creates a registration.
    package init(
        conditionID: ConditionID, runID: RunID, status: WakeStatus, deadlineMillis: Millis? = nil,
        matchingCursor: Seq? = nil, reason: String? = nil
    ) {
        self.conditionID = conditionID
        self.runID = runID
        self.status = status
        self.deadlineMillis = deadlineMillis
        self.matchingCursor = matchingCursor
        self.reason = reason
    }
}
