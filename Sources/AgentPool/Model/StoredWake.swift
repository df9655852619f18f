/// A wake condition with its compiled filter and latest registration: the payload of a `wake`
/// record.
public struct StoredWake: Codable, Hashable, Sendable {
    /// The condition as registered.
    public var condition: WakeCondition
    /// The filter as compiled at registration.
    package var compiledFilter: CompiledFilter
    /// The condition's ``WakeCondition/anyOf`` alternatives as compiled at registration.
    package var compiledAnyOf: [CompiledFilter] { get { compiledAnyOfStorage } set { compiledAnyOfStorage = newValue } }
    /// The latest registration.
    public var registration: Registration

    /// The condition normalized.
    package func normalized() -> StoredWake {
        StoredWake(condition: condition.normalized(), compiledFilter: compiledFilter, registration: registration,
                   compiledAnyOf: compiledAnyOf)
    }

    @OmittedWhenEmpty var compiledAnyOfStorage: [CompiledFilter]

    enum CodingKeys: String, CodingKey {
        case condition, compiledFilter = "compiled_filter", registration, compiledAnyOfStorage = "compiled_any_of"
    }

    /// Groups the parts.
    package init(condition: WakeCondition, compiledFilter: CompiledFilter, registration: Registration,
                 compiledAnyOf: [CompiledFilter] = []) {
        self.condition = condition
        self.compiledFilter = compiledFilter
        self.registration = registration
        self.compiledAnyOfStorage = compiledAnyOf
    }

    /// The same wake with `registration`.
    package func with(_ registration: Registration) -> StoredWake {
        var wake = self
        wake.registration = registration
        return wake
    }

    /// Whether `event` triggers this wake, and which alternative matched: `.some(nil)` for a
    /// plain wake whose filter matches, `.some(i)` for the first of ``compiledAnyOf`` that does,
    /// nil when none matches.
    package func match(_ event: PoolEvent) -> Int?? {
        if compiledAnyOf.isEmpty { return compiledFilter.matches(event) ? .some(nil) : nil }
        return compiledAnyOf.firstIndex { $0.matches(event) }.map { .some($0) }
    }
}

extension StoredWake {
    /// The deadline this wake is swept at, if any: its timeout while `registered`.
    package var deadline: Millis? { registration.status == .registered ? registration.deadlineMillis : nil }
}
