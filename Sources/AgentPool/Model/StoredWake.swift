/// A wake condition with its compiled filter and latest registration: the payload of a `wake`
/// record.
public struct StoredWake: Codable, Hashable, Sendable {
    /// The condition as registered.
    public var condition: WakeCondition
    /// The filter as compiled at registration.
    package var compiledFilter: CompiledFilter
    /// The latest registration.
    public var registration: Registration

    /// The condition normalized.
    package func normalized() -> StoredWake {
        StoredWake(condition: condition.normalized(), compiledFilter: compiledFilter, registration: registration)
    }

    enum CodingKeys: String, CodingKey {
        case condition, compiledFilter = "compiled_filter", registration
    }

    /// Groups the three parts.
    package init(condition: WakeCondition, compiledFilter: CompiledFilter, registration: Registration) {
        self.condition = condition
        self.compiledFilter = compiledFilter
        self.registration = registration
    }
}

extension StoredWake {
    /// The deadline this wake is swept at, if any: its timeout while `registered`.
    package var deadline: Millis? { registration.status == .registered ? registration.deadlineMillis : nil }
}
