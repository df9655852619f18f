/// One facet of an ``EventFilter``: matches anything, or one of a list of values.
public enum Facet: Hashable, Sendable {
    /// Matches every value.
    case any
    /// Matches a value in the list (an empty list matches nothing).
    case oneOf([String])

    /// Whether `value` passes this facet.
    package func matches(_ value: String?) -> Bool {
        switch self {
        case .any: true
        case .oneOf(let values): value.map(values.contains) ?? false
        }
    }

    /// Whether any of `values` passes this facet.
    package func matchesAny(_ values: [String]) -> Bool {
        switch self {
        case .any: true
        case .oneOf(let allowed): values.contains(where: allowed.contains)
        }
    }

    /// Sorted and deduplicated.
    package func normalized() -> Facet {
        switch self {
        case .any: .any
        case .oneOf(let values): .oneOf(values.normalizedIDs())
        }
    }

    var values: [String]? {
        if case .oneOf(let values) = self { return values }
        return nil
    }
}

/// Which events a wake condition waits for: an event matches when every facet does.
///
/// JSON: each facet is a list of values, or absent for "any".
public struct EventFilter: Codable, Hashable, Sendable {
    /// Source runs (member, sender or waiting run).
    public var sourceRuns: Facet
    /// Event kinds, e.g. `run_message_delivered`.
    public var kinds: Facet
    /// Target runs (recipients).
    public var targets: Facet
    /// Message ids.
    public var messageIDs: Facet

    /// Creates a filter; every facet defaults to `any`.
    public init(sourceRuns: Facet = .any, kinds: Facet = .any, targets: Facet = .any, messageIDs: Facet = .any) {
        self.sourceRuns = sourceRuns
        self.kinds = kinds
        self.targets = targets
        self.messageIDs = messageIDs
    }

    /// Every facet sorted and deduplicated.
    package func normalized() -> EventFilter {
        EventFilter(sourceRuns: sourceRuns.normalized(), kinds: kinds.normalized(),
                    targets: targets.normalized(), messageIDs: messageIDs.normalized())
    }

    /// Throws `invalidInput` naming the first malformed value.
    package func validate(field: String) throws(AgentPoolError) {
        try IDValidation.check(sourceRuns.values ?? [], field: "\(field).source_runs")
        try IDValidation.check(kinds.values ?? [], field: "\(field).kinds")
        try IDValidation.check(targets.values ?? [], field: "\(field).targets")
        try IDValidation.check(messageIDs.values ?? [], field: "\(field).message_ids")
    }

    enum CodingKeys: String, CodingKey {
        case sourceRuns = "source_runs", kinds, targets, messageIDs = "message_ids"
    }

    /// Decodes each facet from a list of values; a missing facet is `any`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func facet(_ key: CodingKeys) throws -> Facet {
            try container.decodeIfPresent([String].self, forKey: key).map(Facet.oneOf) ?? .any
        }
        self.init(sourceRuns: try facet(.sourceRuns), kinds: try facet(.kinds),
                  targets: try facet(.targets), messageIDs: try facet(.messageIDs))
    }

    /// Writes each `oneOf` facet as a list and omits the `any` ones.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sourceRuns.values, forKey: .sourceRuns)
        try container.encodeIfPresent(kinds.values, forKey: .kinds)
        try container.encodeIfPresent(targets.values, forKey: .targets)
        try container.encodeIfPresent(messageIDs.values, forKey: .messageIDs)
    }
}
