/// One facet of an ``EventFilter``: matches anything, or one of a list of values.
public enum Facet<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Matches every value.
    case any
    /// Matches a value in the list (an empty list matches nothing).
    case oneOf([Value])

    /// Whether `value` passes this facet.
    package func matches(_ value: Value?) -> Bool {
        switch self {
        case .any: true
        case .oneOf(let values): value.map(values.contains) ?? false
        }
    }

    /// Whether any of `values` passes this facet.
    package func matchesAny(_ values: [Value]) -> Bool {
        switch self {
        case .any: true
        case .oneOf(let allowed): values.contains(where: allowed.contains)
        }
    }

    /// Sorted by the id order of `spelling` and deduplicated.
    func normalized(_ spelling: (Value) -> String) -> Facet {
        switch self {
        case .any: return .any
        case .oneOf(let values):
            let byName = Dictionary(values.map { (spelling($0), $0) }, uniquingKeysWith: { first, _ in first })
            return .oneOf(byName.keys.normalizedIDs().compactMap { byName[$0] })
        }
    }

    var values: [Value]? {
        if case .oneOf(let values) = self { return values }
        return nil
    }
}

/// Which events a wake condition, an event stream or ``PoolHandle/next(matching:since:timeoutMillis:)``
/// waits for: an event matches when every facet does.
///
/// JSON: each facet is a list of strings (kinds as ``EventKind/rawValue``), or absent for "any".
///
/// ```swift
/// EventFilter(kinds: .oneOf([.message(.delivered)]), targets: .oneOf(["reviewer-1"]))
/// ```
public struct EventFilter: Codable, Hashable, Sendable {
    /// Source runs (member, sender or waiting run).
    public var sourceRuns: Facet<RunID>
    /// Event kinds, e.g. `.message(.delivered)`.
    public var kinds: Facet<EventKind>
    /// Target runs (recipients).
    public var targets: Facet<RunID>
    /// Message ids.
    public var messageIDs: Facet<MessageID>
    /// Kind strings read from stored JSON that no record produces (an older or newer writer, a
    /// hand-written log): kept, so that the filter re-encodes as it was read, and matching
    /// nothing, as before. A call given a filter holding any throws `invalidInput`.
    var unknownKinds: [String] = []

    /// Creates a filter; every facet defaults to `any`.
    public init(sourceRuns: Facet<RunID> = .any, kinds: Facet<EventKind> = .any, targets: Facet<RunID> = .any,
                messageIDs: Facet<MessageID> = .any) {
        self.sourceRuns = sourceRuns
        self.kinds = kinds
        self.targets = targets
        self.messageIDs = messageIDs
    }

    /// Every facet sorted and deduplicated.
    package func normalized() -> EventFilter {
        var filter = EventFilter(sourceRuns: sourceRuns.normalized { $0 }, kinds: kinds.normalized(\.rawValue),
                                 targets: targets.normalized { $0 }, messageIDs: messageIDs.normalized { $0 })
        filter.unknownKinds = unknownKinds.normalizedIDs()
        return filter
    }

    /// The kinds facet as coded: nil for any, else the kinds' strings, with the unknown ones
    /// merged in id order (the order of a normalized filter, so stored bytes come back as read).
    package var kindStrings: [String]? {
        guard let known = kinds.values?.map(\.rawValue) else { return nil }
        return unknownKinds.isEmpty ? known : (known + unknownKinds).sorted(by: idPrecedes)
    }

    /// Throws `invalidInput` naming the first malformed value, or the first unknown kind with
    /// every valid one.
    package func validate(field: String) throws(AgentPoolError) {
        try IDValidation.check(sourceRuns.values ?? [], field: "\(field).source_runs")
        if let unknown = unknownKinds.first, kinds.values != nil {
            throw .invalidInput(field: "\(field).kinds", "unknown event kind '\(unknown)'; the kinds are \(EventKind.allSpelled)")
        }
        try IDValidation.check(targets.values ?? [], field: "\(field).targets")
        try IDValidation.check(messageIDs.values ?? [], field: "\(field).message_ids")
    }

    enum CodingKeys: String, CodingKey {
        case sourceRuns = "source_runs", kinds, targets, messageIDs = "message_ids"
    }

    /// Decodes each facet from a list of strings; a missing facet is `any`. A kind no record
    /// produces is kept aside (a call given the filter refuses it), never a decoding error:
    /// stored wakes replay whatever wrote them.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func facet(_ key: CodingKeys) throws -> Facet<String> {
            try container.decodeIfPresent([String].self, forKey: key).map(Facet.oneOf) ?? .any
        }
        let kindStrings = try facet(.kinds)
        self.init(sourceRuns: try facet(.sourceRuns), targets: try facet(.targets), messageIDs: try facet(.messageIDs))
        if let strings = kindStrings.values {
            kinds = .oneOf(strings.compactMap(EventKind.init(rawValue:)))
            unknownKinds = strings.filter { EventKind(rawValue: $0) == nil }
        }
    }

    /// Writes each `oneOf` facet as a list and omits the `any` ones.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sourceRuns.values, forKey: .sourceRuns)
        try container.encodeIfPresent(kindStrings, forKey: .kinds)
        try container.encodeIfPresent(targets.values, forKey: .targets)
        try container.encodeIfPresent(messageIDs.values, forKey: .messageIDs)
    }
}
