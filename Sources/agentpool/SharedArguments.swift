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

/// The range checks of numeric options: each failure is a usage error (exit 2) naming the option.
enum Usage {
    /// Passes when `value` is absent or at least `minimum`; otherwise fails with "OPTION must not
    /// be negative" (a minimum of 0) or "OPTION must be at least MINIMUM".
    static func require<N: BinaryInteger>(_ value: N?, atLeast minimum: N, _ option: String) throws {
        guard let value, value < minimum else { return }
        throw ValidationError(minimum == 0 ? "\(option) must not be negative" : "\(option) must be at least \(minimum)")
    }

    /// Passes when every one of `values` is in `valid`; otherwise fails with "OPTION 'X' is not
    /// one of A, B, C", naming the first unknown value and every valid one.
    static func require(_ values: [String], in valid: [String], _ option: String) throws {
        guard let unknown = values.first(where: { !valid.contains($0) }) else { return }
        throw ValidationError("\(option) '\(unknown)' is not one of \(valid.joined(separator: ", "))")
    }
}
