import AgentPool
import Testing

/// One rule every ``PoolStore`` must keep, checked against a backend with Swift Testing's
/// `#expect`/`#require`: a failed expectation is recorded as an issue of the running test.
///
/// Run the checks as the arguments of one parameterized test per backend, so that each is
/// reported under its own name:
///
/// ```swift
/// @Test(arguments: Conformance.all)
/// func myBackend(_ check: ConformanceCheck) async throws {
///     try await check.run(.myBackend)
/// }
/// ```
public struct ConformanceCheck: Sendable, CustomStringConvertible, Identifiable {
    /// The group of rules the check belongs to, e.g. `Log` or `Wake`.
    public let area: String
    /// The rule, stated as a sentence in camel case, e.g. `aWriteWhoseBodyThrowsWritesNothing`.
    public let name: String
    /// Whether the check closes the store and reopens it on the same data: only a persistent
    /// backend (``StoreFactory/isPersistent``) can run it.
    public let requiresPersistence: Bool
    private let body: @Sendable (StoreFactory) async throws -> Void

    /// `Area.rule`, unique among ``Conformance/all``.
    public var description: String { "\(area).\(name)" }

    /// The same as ``description``: a check is selected and re-run by it.
    public var id: String { description }

    init(_ area: String, _ name: String, requiresPersistence: Bool = false, _ body: @escaping @Sendable (StoreFactory) async throws -> Void) {
        self.area = area
        self.name = name
        self.requiresPersistence = requiresPersistence
        self.body = body
    }

    /// Runs the check on fresh stores made by `factory`: expectations that fail are recorded as
    /// issues; an error the backend throws where none is expected is rethrown.
    ///
    /// A check that needs persistence, run on a factory that is not persistent, records an issue
    /// instead of passing unchecked (select ``Conformance/nonPersistent`` for such a backend).
    public func run(_ factory: StoreFactory) async throws {
        guard !requiresPersistence || factory.isPersistent else {
            Issue.record("\(self) reopens the store, but \(factory.name) is not persistent: run Conformance.nonPersistent on it")
            return
        }
        try await body(factory)
    }
}

/// The conformance kit: every rule a backend owes, as ``ConformanceCheck``s to run against a
/// ``StoreFactory``.
///
/// The checks cover the log (gapless seqs, paging, atomic writes, validation), pool lifecycle,
/// the core's projection rules and write checks, message and wake status machines and dedupe, durable consumers, imports, compaction,
/// replay equivalence with the pure reducer (also across a reopen), and the coordinator's rules
/// over the store: send, wakes and `wait`, claims, leases, watch, replies and metrics.
public enum Conformance {
    /// Every check, store rules first, then the coordinator's rules.
    public static let all: [ConformanceCheck] =
        log + poolLifecycle + projectionRules + messageAndWake + consumerAndImport + compaction + replay
        + send + payload + queue + wake + next + claim + claimStream + replyAndCancel + lease + leasedMember + watch + durableConsumer + metrics + reviewRegression + unicodeIdentity + limits
        + SchedulingChecks.scheduling

    /// The checks a backend whose data does not survive a reopen runs: ``all`` but those that
    /// ``ConformanceCheck/requiresPersistence``.
    public static let nonPersistent: [ConformanceCheck] = all.filter { !$0.requiresPersistence }
}
