import AgentPool
#if Postgres
import AgentPoolPostgres
#endif
import AgentPoolSQLite
import Logging

/// Opens the backend a location names: a `postgres://` or `postgresql://` URL opens a
/// `PostgresStore`, anything else is a SQLite file path opening a `SQLiteStore`. The one
/// entry point for programs that accept "a database" from their users (the CLI's `--db` and
/// `AGENTPOOL_DB`, the examples, the benchmark); everything above it sees only ``PoolStore`` and
/// the capabilities of `StoreCapabilities.swift`.
///
/// PostgreSQL is there only when the package is built with its `Postgres` trait; without it a
/// `postgres://` location fails to open with `invalidInput` (field `location`) saying so.
public enum StoreLocation {
    /// The registered backends, asked in this order whether they claim a location: the first that
    /// does opens it. SQLite claims every location, so it stays last. Adding a backend is one
    /// line here.
    #if Postgres
    static let backends: [any StoreBackend] = [
        PostgresBackend(),
        SQLiteBackend(),
    ]
    #else
    static let backends: [any StoreBackend] = [
        // why: without it SQLite would claim a postgres:// URL and create a file of that name.
        TraitDisabledBackend(name: "postgres", schemes: ["postgres", "postgresql"], trait: "Postgres"),
        SQLiteBackend(),
    ]
    #endif

    /// The backend that opens `location`: the first registered one that claims it.
    package static func backend(for location: String) -> any StoreBackend {
        // why: the last backend (SQLite) claims every location, so the search always succeeds.
        backends.first { $0.claims(location) } ?? backends[backends.count - 1]
    }

    /// Whether `location` names a PostgreSQL store rather than a SQLite file (also in a build
    /// without the `Postgres` trait, which cannot open it).
    public static func isPostgres(_ location: String) -> Bool {
        backend(for: location).name == "postgres"
    }

    /// `location` safe to print: a URL's password is replaced by `***`, a path is unchanged.
    public static func redacted(_ location: String) -> String {
        backend(for: location).redacted(location)
    }

    /// Opens the store at `location` with each backend's default options, the given clock and
    /// logger (the open summary line is logged at `info`), without blocking a cooperative thread.
    ///
    /// - Parameter createIfMissing: whether a missing store (a SQLite file, a PostgreSQL
    ///   schema's tables) is created; false: `notFound`, nothing created.
    /// - Throws: what the backend's open throws: `invalidInput` for a malformed URL,
    ///   `unsupportedSchema`, `notFound`, `storage`, `busy`.
    public static func open(_ location: String, logger: Logger? = nil, clock: any AgentPoolClock = SystemClock(),
                            createIfMissing: Bool = true) async throws -> any PoolStore {
        try await backend(for: location).open(
            location, options: StoreOpenOptions(logger: logger, clock: clock, createIfMissing: createIfMissing))
    }

    /// ``open(_:logger:clock:createIfMissing:)`` for synchronous callers: blocks the calling
    /// thread until the store is open (for PostgreSQL, until the server answered), so async code
    /// should await the async variant instead.
    public static func open(_ location: String, logger: Logger? = nil, clock: any AgentPoolClock = SystemClock(),
                            createIfMissing: Bool = true) throws -> any PoolStore {
        try backend(for: location).openBlocking(
            location, options: StoreOpenOptions(logger: logger, clock: clock, createIfMissing: createIfMissing))
    }

    /// A logger that prints warnings and errors only, on standard error (swift-log's default
    /// handler): what tools and examples pass to ``open(_:logger:clock:createIfMissing:)`` to stay quiet.
    public static func quietLogger(label: String = "agentpool") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}
