import AgentPool
import ArgumentParser

/// What every verb on one pool takes: the global options, then the pool id.
struct PoolArguments: ParsableArguments {
    /// The global options.
    @OptionGroup var global: GlobalOptions
    /// The pool id.
    @Argument(help: "The pool id.") var pool: String

    /// Opens the store, runs `body` with a handle on the pool, and closes the store (also when
    /// `body` throws); see ``GlobalOptions/withStore(_:_:)``.
    /// - Throws: ``CLIError/noDatabase(path:)`` for a missing store unless `access` creates it;
    ///   `invalidInput` for a malformed pool id; whatever `body` throws.
    func withPool<T>(_ access: GlobalOptions.Access = .existing, _ body: (PoolHandle) async throws -> T) async throws -> T {
        try await global.withStore(access) { try await body(try PoolHandle(pool, store: $0)) }
    }

    /// ``withPool(_:_:)``, then prints what `body` returned: as JSON, or with `--format table`
    /// as `table` renders it. Nothing is printed when `body` throws.
    func printing<T: Encodable>(_ access: GlobalOptions.Access = .existing, table: (T) -> Table,
                                _ body: (PoolHandle) async throws -> T) async throws {
        try global.print(try await withPool(access, body), table: table)
    }
}

/// What every verb on one member run takes: the global options, the pool id, then `--run`.
struct RunArguments: ParsableArguments {
    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The run.
    @Option(name: .customLong("run"), help: ArgumentHelp("The run id.", valueName: "run")) var runID: String
}

/// The options that narrow which events count, shared by `wake` and `next`; each is repeatable
/// and matches any value when not given. The verbs declare `--kind` themselves: they accept
/// different kinds.
struct EventFilterOptions: ParsableArguments {
    /// Source runs (member, sender or waiting run); any when none.
    @Option(name: .customLong("from"), help: ArgumentHelp(
        "Only events from this run: the member, the sender or the waiting run (repeatable; default any).", valueName: "run"))
    var sources: [String] = []
    /// Target runs (recipients of a message); any when none.
    @Option(name: .customLong("target"), help: ArgumentHelp(
        "Only events whose recipients include this run, e.g. a message delivered to it (repeatable; default any).", valueName: "run"))
    var targets: [String] = []
    /// Messages; any when none.
    @Option(name: .customLong("message"), help: ArgumentHelp("Only events of this message (repeatable; default any).", valueName: "message"))
    var messageIDs: [String] = []

    /// The filter of these options and `kinds`, strings the verb checked against the kinds it
    /// accepts (an unknown one cannot reach here).
    func filter(kinds: [String]) -> EventFilter {
        func facet<Value>(_ values: [Value]) -> Facet<Value> { values.isEmpty ? .any : .oneOf(values) }
        return EventFilter(sourceRuns: facet(sources), kinds: facet(kinds.compactMap(EventKind.init(rawValue:))),
                           targets: facet(targets), messageIDs: facet(messageIDs))
    }
}

/// The range checks of numeric options: each failure is a usage error (exit 2) naming the option.
enum Usage {
    /// Passes when `value` is absent or at least `minimum`; otherwise fails with "OPTION must not
    /// be negative" (a minimum of 0) or "OPTION must be at least MINIMUM".
    static func require<N: BinaryInteger>(_ value: N?, atLeast minimum: N, _ option: String) throws {
        guard let value, value < minimum else { return }
        throw ValidationError(minimum == 0 ? "\(option) must not be negative" : "\(option) must be at least \(minimum)")
    }

    /// Passes when the duration `value` is absent or `minimum` up to ten years (the library's
    /// bound, which keeps now + duration from overflowing); otherwise a usage error naming it.
    static func requireDuration(_ value: Int64?, atLeast minimum: Int64, _ option: String) throws {
        try require(value, atLeast: minimum, option)
        guard let value, value > DurationLimits.maximumMillis else { return }
        throw ValidationError("\(option) must be at most \(DurationLimits.maximumMillis) (ten years)")
    }

    /// Passes when every one of `values` is in `valid`; otherwise fails with "OPTION 'X' is not
    /// one of A, B, C", naming the first unknown value and every valid one.
    static func require(_ values: [String], in valid: [String], _ option: String) throws {
        guard let unknown = values.first(where: { !valid.contains($0) }) else { return }
        throw ValidationError("\(option) '\(unknown)' is not one of \(valid.joined(separator: ", "))")
    }
}
