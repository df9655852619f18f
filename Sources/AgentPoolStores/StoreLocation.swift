import AgentPool
import AgentPoolPostgres
import AgentPoolSQLite
import Logging

/// Opens the backend a location names: a `postgres://` or `postgresql://` URL opens a
/// ``PostgresStore``, anything else is a SQLite file path opening a `SQLiteStore`. The one
/// entry point for programs that accept "a database" from their users (the CLI's `--db` and
/// `AGENTPOOL_DB`, the examples, the benchmark); everything above it sees only ``PoolStore``.
public enum StoreLocation {
    /// Whether `location` names a PostgreSQL store rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        PostgresLocation.isPostgres(location)
    }

    /// `location` safe to print: a URL's password is replaced by `***`, a path is unchanged.
    public static func redacted(_ location: String) -> String {
        guard isPostgres(location) else { return location }
        return (try? PostgresLocation(url: location).redacted) ?? "postgres://(unreadable URL)"
    }

    /// Opens the store at `location` with each backend's default options, the given clock and
    /// logger (the open summary line is logged at `info`).
    ///
    /// - Parameter createIfMissing: for PostgreSQL, whether a missing store's tables are created
    ///   (false: `notFound`, nothing created). A SQLite file is always created when missing:
    ///   callers that must not create one check that the file exists first.
    /// - Throws: what the backend's open throws: `invalidInput` for a malformed URL,
    ///   `unsupportedSchema`, `notFound`, `storage`, `busy`.
    public static func open(_ location: String, logger: Logger? = nil, clock: any AgentPoolClock = SystemClock(),
                            createIfMissing: Bool = true) throws -> any PoolStore {
        if isPostgres(location) {
            var options = PostgresOptions()
            options.clock = clock
            options.createIfMissing = createIfMissing
            if let logger { options.logger = logger }
            return try PostgresStore(url: location, options: options)
        }
        var options = SQLiteOptions()
        options.clock = clock
        if let logger { options.logger = logger }
        return try SQLiteStore(path: location, options: options)
    }

    /// A logger that prints warnings and errors only, on standard error (swift-log's default
    /// handler): what tools and examples pass to ``open(_:logger:clock:)`` to stay quiet.
    public static func quietLogger(label: String = "agentpool") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }
}
