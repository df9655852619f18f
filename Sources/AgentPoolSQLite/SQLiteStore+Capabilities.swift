import AgentPool
import Foundation

extension SQLiteStore: DiagnosableStore, BackupCapableStore {
    /// Runs `PRAGMA integrity_check` and reads the settings back; a journal mode other than WAL
    /// and foreign keys turned off are problems. Only reads.
    package func diagnose() async throws -> StoreDiagnosis {
        let integrity = try integrityCheck()
        let settings = try settings()
        var problems: [String] = []
        if integrity != ["ok"] { problems.append("integrity_check: " + integrity.joined(separator: "; ")) }
        if settings.journalMode.lowercased() != "wal" { problems.append("journal_mode is \(settings.journalMode), expected wal") }
        if !settings.foreignKeys { problems.append("foreign keys are off") }
        let wal = try walState()
        // SQLite checkpoints every 1,000 pages and the store truncates the WAL back to
        // walSizeLimitBytes, so a WAL many times that size, with frames a checkpoint cannot copy,
        // means a reader somewhere keeps a transaction open and the file only grows.
        let starvedAbove = Int64(4 * options.walSizeLimitBytes)
        if wal.walBytes > starvedAbove, wal.framesLeft > 0 {
            problems.append("checkpoint starvation: the WAL is \(wal.walBytes >> 20) MiB (the database \(wal.databaseBytes >> 20) MiB) and \(wal.framesLeft) of its \(wal.frames) frames cannot be checkpointed: another program holds a read transaction open; end it (or close that program) and the WAL is checkpointed and truncated")
        }
        return StoreDiagnosis(
            backend: "sqlite", location: path,
            settings: [
                StoreSetting("journal_mode", .string(settings.journalMode)),
                StoreSetting("synchronous", .string(settings.synchronous)),
                StoreSetting("busy_timeout_ms", .integer(Int64(settings.busyTimeoutMillis))),
                StoreSetting("foreign_keys", .bool(settings.foreignKeys)),
                StoreSetting("wal_bytes", .integer(wal.walBytes)),
                StoreSetting("wal_frames_not_checkpointed", .integer(Int64(wal.framesLeft))),
            ],
            schemaVersion: settings.schemaVersion, expectedSchemaVersion: Self.schemaVersion,
            integrity: integrity, problems: problems)
    }
}

/// Opens SQLite files: every location no other registered backend claims is a file path.
package struct SQLiteBackend: StoreBackend {
    /// Creates the backend.
    package init() {}

    /// `sqlite`.
    package var name: String { "sqlite" }

    /// Every location: register it last, as the fallback for plain paths.
    package func claims(_ location: String) -> Bool { true }

    /// Opens the file at `location` with the default ``SQLiteOptions`` and the given clock and
    /// logger (see ``SQLiteStore/init(path:options:)``). Opening blocks on file I/O only.
    /// - Throws: `notFound` when the file does not exist and `createIfMissing` is false (nothing
    ///   is created); what ``SQLiteStore/init(path:options:)`` throws.
    package func open(_ location: String, options: StoreOpenOptions) async throws -> any PoolStore {
        try openBlocking(location, options: options)
    }

    /// ``open(_:options:)``, synchronously.
    package func openBlocking(_ location: String, options: StoreOpenOptions) throws -> any PoolStore {
        if !options.createIfMissing, !FileManager.default.fileExists(atPath: location) {
            throw AgentPoolError.make(.notFound, "no database at \(location)")
        }
        var sqlite = SQLiteOptions()
        sqlite.clock = options.clock
        if let logger = options.logger { sqlite.logger = logger }
        return try SQLiteStore(path: location, options: sqlite)
    }
}
