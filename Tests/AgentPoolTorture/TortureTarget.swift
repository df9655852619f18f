import AgentPool
#if Postgres
import AgentPoolPostgres
#endif
import AgentPoolSQLite
import AgentPoolStores
import Logging
import Foundation

/// The store under torture: where the writer processes open it, how the parent checks the
/// backend's own integrity, and how it is removed afterwards.
struct TortureTarget {
    /// What writers pass to `StoreLocation.open`: a SQLite path or a `postgres://` URL.
    let location: String
    /// The backend's own consistency check (SQLite's `PRAGMA integrity_check`): ["ok"] when sound;
    /// nil for a backend whose server guards its own pages (PostgreSQL).
    let integrityCheck: @Sendable (any PoolStore) throws -> [String]?
    /// Removes the file or the schema.
    let remove: @Sendable () async -> Void
    /// The earliest a writer is killed, in ms after the round starts: a PostgreSQL writer spends
    /// its first tens of ms connecting, and a kill before its first operation verifies nothing.
    var killWindowStart = 20

    /// A new SQLite file in a fresh temporary directory.
    static func sqlite() throws -> TortureTarget {
        let directory = NSTemporaryDirectory() + "agentpool-torture-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return TortureTarget(
            location: directory + "/torture.sqlite",
            integrityCheck: { store in try (store as? SQLiteStore)?.integrityCheck() },
            remove: { try? FileManager.default.removeItem(atPath: directory) })
    }

    /// A new schema (`torture_<pid>`) on the PostgreSQL server at `baseURL`, dropped at the end.
    static func postgres(baseURL: String) -> TortureTarget {
        let url = baseURL + (baseURL.contains("?") ? "&" : "?") + "schema=torture_\(getpid())"
        return TortureTarget(location: url, integrityCheck: { _ in nil }, remove: {
            #if Postgres
            if let location = try? PostgresLocation(url: url) { _ = try? await PostgresAdmin.execute(location, ["DROP SCHEMA IF EXISTS \"\(location.schema)\" CASCADE"]) }
            #endif
        }, killWindowStart: 150)
    }

    /// Opens the store quietly (warnings and errors only).
    func open() async throws -> any PoolStore { try await Self.open(location, logLevel: .warning) }

    /// Opens the store at `location`, logging nothing below `logLevel` (writers: critical).
    static func open(_ location: String, logLevel: Logger.Level) async throws -> any PoolStore {
        var logger = StoreLocation.quietLogger(label: "agentpool-torture")
        logger.logLevel = logLevel
        return try await StoreLocation.open(location, logger: logger)
    }
}
