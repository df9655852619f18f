/// "Wake run R when an event matching filter F happens", with an optional timeout.
public struct WakeCondition: Codable, Hashable, Sendable {
    /// Unique per pool.
    public var conditionID: ConditionID
    /// The waiting run; must be a member.
    public var runID: RunID
    /// Which events trigger the wake (ignored when ``anyOf`` is given, and then left empty).
    public var filter: EventFilter
    /// Alternative filters: the wake triggers on the first event any of them matches, and its
    /// registration records which (``Registration/matchedFilter``, an index into this list). At
    /// most ``maxAnyOf``; empty for a plain wake on ``filter``.
    public var anyOf: [EventFilter] { get { anyOfStorage } set { anyOfStorage = newValue } }
    /// Time after registration before the wake is `timed_out`; nil waits forever, 0 times out at once.
    public var timeoutMillis: Millis?
    /// What the waiter gets back; `matching_event_refs` by default.
    public var resumeWith: String
    /// Dedupe key: the same key with the same condition returns the same registration.
    public var idempotencyKey: IdempotencyKey
    /// Policy refs the condition carries; sorted, deduplicated.
    public var policyRefs: [PolicyRef] { get { policyRefsStorage } set { policyRefsStorage = newValue } }

    /// The default ``resumeWith``.
    public static let matchingEventRefs = "matching_event_refs"

    /// The most alternative filters one condition may hold: 32.
    public static let maxAnyOf = 32

    /// Creates a condition. `policyRefs` is a set: stores keep it sorted and deduplicated.
    public init(
        conditionID: ConditionID, runID: RunID, filter: EventFilter, idempotencyKey: IdempotencyKey,
        timeoutMillis: Millis? = nil, resumeWith: String = WakeCondition.matchingEventRefs, policyRefs: [PolicyRef] = [],
        anyOf: [EventFilter] = []
    ) {
        self.conditionID = conditionID
        self.runID = runID
        self.filter = filter
        self.anyOfStorage = anyOf
        self.timeoutMillis = timeoutMillis
        self.resumeWith = resumeWith
        self.idempotencyKey = idempotencyKey
        self.policyRefsStorage = policyRefs
    }

    /// The same condition with its filter and `policyRefs` sorted and deduplicated.
    package func normalized() -> WakeCondition {
        var condition = self
        condition.filter = filter.normalized()
        condition.anyOf = anyOf.map { $0.normalized() }
        condition.policyRefs = policyRefs.normalizedIDs()
        return condition
    }

    /// Throws `invalidInput` naming the first malformed field.
    package func validate() throws(AgentPoolError) {
        try IDValidation.check(conditionID, field: "condition.condition_id")
        try IDValidation.check(runID, field: "condition.run_id")
        try filter.validate(field: "condition.filter")
        if !anyOf.isEmpty {
            guard anyOf.count <= Self.maxAnyOf else {
                throw .invalidInput(field: "condition.any_of", "a wake condition may hold at most \(Self.maxAnyOf) alternative filters; it holds \(anyOf.count)")
            }
            guard filter.normalized() == EventFilter() else {
                throw .invalidInput(field: "condition.filter", "a condition with any_of leaves filter empty: each alternative is a whole filter")
            }
            for (index, alternative) in anyOf.enumerated() { try alternative.validate(field: "condition.any_of[\(index)]") }
        }
        try IDValidation.check(idempotencyKey, field: "condition.idempotency_key")
        try IDValidation.check(policyRefs, field: "condition.policy_refs")
        if let timeoutMillis { try DurationLimits.check(timeoutMillis, atLeast: 0, field: "condition.timeout_millis") }
    }

    // The lists above as coded: omitted when empty.
    @OmittedWhenEmpty var policyRefsStorage: [PolicyRef]
    @OmittedWhenEmpty var anyOfStorage: [EventFilter]

    enum CodingKeys: String, CodingKey {
        case conditionID = "condition_id", runID = "run_id", filter, timeoutMillis = "timeout_millis"
        case resumeWith = "resume_with", idempotencyKey = "idempotency_key", policyRefsStorage = "policy_refs"
        case anyOfStorage = "any_of"
    }

    /// Decodes a condition; a missing filter matches everything, a missing `resume_with` is ``matchingEventRefs``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            conditionID: try container.decode(String.self, forKey: .conditionID),
            runID: try container.decode(String.self, forKey: .runID),
            filter: try container.decodeIfPresent(EventFilter.self, forKey: .filter) ?? EventFilter(),
            idempotencyKey: try container.decode(String.self, forKey: .idempotencyKey),
            timeoutMillis: try container.decodeIfPresent(Millis.self, forKey: .timeoutMillis),
            resumeWith: try container.decodeIfPresent(String.self, forKey: .resumeWith) ?? WakeCondition.matchingEventRefs,
            policyRefs: try container.decode(OmittedWhenEmpty<[PolicyRef]>.self, forKey: .policyRefsStorage).wrappedValue,
            anyOf: try container.decode(OmittedWhenEmpty<[EventFilter]>.self, forKey: .anyOfStorage).wrappedValue)
    }
}
