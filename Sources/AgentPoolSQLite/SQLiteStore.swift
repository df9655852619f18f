import AgentPool
import AgentPoolSQL
import Foundation
import GRDB
import Logging

/// The embedded backend: all pools in one SQLite file shared by any number of processes.
///
/// Each write appends to the log and updates the projections in one `BEGIN IMMEDIATE`
/// transaction: its own, or, when several writes of this process wait at once, one savepoint each
/// in a transaction committed once for all of them (group commit; a write that throws rolls back
/// alone, and none returns before the commit). Snapshots and lookups read the projections only. WAL mode,
/// `synchronous=NORMAL` (or FULL), foreign keys on, a busy timeout (5 s by default). WAL needs a
/// local file system: do not put the file on NFS or SMB.
public final class SQLiteStore: PoolStore {
    /// The database file.
    public let path: String
    /// The options the store was opened with.
    public let options: SQLiteOptions
    private let database: DatabasePool
    /// `path` with symbolic links followed (``DatabaseFile/resolve(_:)``).
    private let filePath: String
    private let notifier: FileChangeNotifier
    private let configs = ConfigCache()
    private let writePath: WritePath
    private let clockCheck: ClockCheck
    /// Where the store and its coordinators report metrics.
    public let metrics: AgentPoolMetrics
    /// The time source stamped on records.
    public var clock: any AgentPoolClock { options.clock }
    /// Bumped after this store's writes and whenever another process commits to the file.
    public let changes = ChangeSignal()

    /// The schema version this build writes and reads.
    public static var schemaVersion: Int { Schema.currentVersion }

    /// Opens (creating when missing) the database at `path` and migrates it forward.
    ///
    /// A new file and its parent directory are created; the file is readable and writable by the
    /// owner only. Logs one summary line.
    /// - Throws: `unsupportedSchema` for a file of a newer schema or another application;
    ///   `storage` for a file that is not a database (empty, garbage, a directory) or cannot be
    ///   opened. In every such case the file is left untouched.
    public init(path: String, options: SQLiteOptions = SQLiteOptions()) throws {
        self.path = path
        self.options = options
        // Links followed once: sidecars, the migration lock and a new file all use the real path.
        let path = DatabaseFile.resolve(path)
        filePath = path
        let busyTimeout = TimeInterval(options.busyTimeout.components.seconds)
            + TimeInterval(options.busyTimeout.components.attoseconds) / 1e18
        try DatabaseFile.prepare(path: path, busyTimeout: busyTimeout)

        var configuration = Configuration()
        configuration.label = "agentpool"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.maximumReaderCount = 4
        let synchronous = options.synchronous.rawValue
        let trace = options.statementTrace
        if let trace {
            configuration.prepareDatabase { db in
                db.trace(options: .statement) { event in trace(event.description) }
            }
        }
        if let hook = options.walCommitHook {
            configuration.prepareDatabase { db in WALCommitHook.install(hook, on: db.sqliteConnection) }
        }
        metrics = options.metrics ?? AgentPoolMetrics()
        clockCheck = ClockCheck(options)
        writePath = WritePath(busyTimeoutMillis: Int32(busyTimeout * 1000), allowsFastPath: options.synchronous == .normal,
                              metrics: metrics)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            // why: NORMAL in WAL mode keeps every commit across a process crash and costs one
            // fsync per checkpoint instead of one per commit; FULL adds power-loss durability.
            // Set on the writer after GRDB's WAL setup, which sets NORMAL itself.
            let walLimit = options.walSizeLimitBytes
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
                // why: without a limit the -wal file keeps its largest size forever; with it, each
                // completed checkpoint truncates it back (watchers hold no read transaction, so
                // checkpoints complete).
                _ = try Int.fetchOne(db, sql: "PRAGMA journal_size_limit = \(walLimit)")
            }
            // Migrate only when needed: GRDB's migrate() writes (it creates its table "if not
            // exists" in a write transaction), and opening must not change an up-to-date file.
            // Processes upgrading at once take turns (MigrationLock) and each checks again.
            let database = self.database
            if try !database.read({ try Schema.migrator.hasCompletedMigrations($0) }) {
                try MigrationLock.withLock(databasePath: path) {
                    if try !database.read({ try Schema.migrator.hasCompletedMigrations($0) }) {
                        try Schema.migrator.migrate(database)
                    }
                }
            }
        } catch {
            throw SQLiteErrors.map(error)
        }
        let database = self.database
        notifier = try FileChangeNotifier(databasePath: path, signal: changes, sharedWord: options.sharedWordWakeUps,
                                          safetyPoll: options.safetyPoll) {
            try? database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, \(SQLiteSession.dialect.cursorColumn), compacted_through
                    FROM pools ORDER BY id
                    """).flatMap { [$0[0], $0[1] ?? 0, $0[2]] as [Int64] }
            }
        }
        let settings = try settings()
        options.logger.info("agentpool store opened", metadata: [
            "backend": "sqlite",
            "path": "\(path)",
            "journal_mode": "\(settings.journalMode)",
            "synchronous": "\(settings.synchronous)",
            "busy_timeout_ms": "\(settings.busyTimeoutMillis)",
            "schema_version": "\(settings.schemaVersion)",
        ])
    }

    deinit { notifier.stop() }

    /// Copies the whole database to a new file at `path`, consistent as of one moment, while
    /// writers keep running (SQLite's online backup, all pages in one step inside one read
    /// transaction): the copy holds every write committed before the call began.
    ///
    /// The copy is built under a temporary name (mode 0600, parent directories created) and
    /// published with `link(2)`, so `path` never holds a partial copy.
    /// - Throws: `invalidInput` when `path` already exists (nothing is written); `storage`.
    public func backup(to path: String) async throws {
        guard !path.isEmpty else { throw AgentPoolError.invalidInput(field: "path", "backup path must not be empty") }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw AgentPoolError.invalidInput(field: "path", "'\(path)' already exists; a backup never overwrites a file")
        }
        let database = self.database
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // The copy blocks its thread for as long as it takes: not a cooperative one.
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    do {
                        try DatabaseFile.publish(at: path) { temporary in
                            let destination = try DatabaseQueue(path: temporary)
                            try database.backup(to: destination)
                            try destination.close()
                        }
                    } catch {
                        throw SQLiteErrors.map(error)
                    }
                })
            }
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a healthy file, otherwise what is wrong.
    public func integrityCheck() throws -> [String] {
        do {
            return try database.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// The `-wal` file's size and what a passive checkpoint (the kind SQLite runs itself, which
    /// never waits and never blocks a reader or writer) could not copy into the main file: frames
    /// left behind are pinned by a read transaction some program holds open.
    package func walState() throws -> (walBytes: Int64, databaseBytes: Int64, frames: Int, framesLeft: Int) {
        let size = { (path: String) -> Int64 in
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value) ?? 0
        }
        do {
            let row = try database.writeWithoutTransaction { try Row.fetchOne($0, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            let frames: Int = row?[1] ?? 0, done: Int = row?[2] ?? 0
            return (size(filePath + "-wal"), size(filePath), max(frames, 0), max(frames - done, 0))
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// The settings in force, read back from SQLite on the writer connection.
    public func settings() throws -> SQLiteSettings {
        do {
            return try database.writeWithoutTransaction { db in
                let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                return SQLiteSettings(
                    journalMode: try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?",
                    synchronous: [0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"][synchronous] ?? "\(synchronous)",
                    busyTimeoutMillis: try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? -1,
                    foreignKeys: try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false,
                    schemaVersion: try Schema.migrator.appliedIdentifiers(db).count)
            }
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// Runs `body` on a consistent read-only view of `pool` (see ``PoolStore/read(_:_:)``).
    public func read<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolReader) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let clock = options.clock
        let configs = self.configs
        do {
            return try await database.read { db in
                try Self.storage(db, pool, configs).runRead(now: clock.nowMillis(), body)
            }
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// Runs `body` as one atomic write on `pool`: all its appends or none (see ``PoolStore/write(_:_:)``).
    public func write<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolWriter) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let clock = options.clock
        // A process whose clock is not the machine's acts on nobody's deadlines: refused first.
        try clockCheck.check(clock.nowMillis())
        let configs = self.configs
        // Runs inside the write transaction that the write path opens (alone, or in a batch).
        let transaction = { @Sendable (db: Database) throws -> (T, Bool, Int) in
            // The clock is read once the write lock is held, so recorded_at follows seq.
            let (value, outcome) = try Self.storage(db, pool, configs).runTransaction(now: clock.nowMillis(), body)
            return (value, outcome.wakesWaiters, outcome.appendedCount)
        }
        let (result, wrote, appended): (T, Bool, Int)
        do {
            (result, wrote, appended) = try await writePath.run(transaction, on: database)
        } catch {
            let mapped = SQLiteErrors.map(error)
            if (mapped as? AgentPoolError)?.kind == .busy { metrics.busyWait() }
            throw mapped
        }
        metrics.recordsAppended(appended)
        if wrote {
            // After COMMIT returned: watchers that wake now see the new records.
            notifier.touch()
            changes.notify()
        }
        return result
    }

    /// The statements of a pool transaction in SQLite's syntax (for the benchmark's floor).
    package static var statements: SQLStatements { SQLiteSession.statements }

    /// The catalogue's storage of `pool` on connection `db`, inside its open transaction.
    private static func storage(_ db: Database, _ pool: PoolID, _ configs: ConfigCache) -> SQLPoolStorage {
        SQLPoolStorage(session: SQLiteSession(db), poolID: pool, statements: SQLiteSession.statements,
                       dialect: SQLiteSession.dialect, configs: configs)
    }

    /// Writes of this process queued for a group commit and not yet taken into a batch.
    var queuedWriteCount: Int { writePath.queuedCount }

    /// Group commits so far: batches, the writes they held, the largest batch.
    var groupCommitFigures: (batches: Int, writes: Int, largest: Int) { writePath.batchFigures }

    /// Every pool with its cursor and counts, sorted by pool id.
    public func pools() async throws -> [PoolSummary] {
        do {
            return try await database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT pool_id, max(compacted_through, coalesce(\(SQLiteSession.dialect.cursorColumn), 0)),
                           (SELECT count(*) FROM members m WHERE m.pool = pools.id),
                           (SELECT count(*) FROM messages g WHERE g.pool = pools.id)
                    FROM pools ORDER BY pool_id
                    """).map { PoolSummary(poolID: $0[0], lastSeq: $0[1], memberCount: $0[2], messageCount: $0[3]) }
            }
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// Releases the store; later calls fail. The last process to close the file leaves it
    /// self-contained: the WAL checkpointed into it and removed, so a plain copy of the one file
    /// holds every committed write.
    public func close() async throws {
        // Off the cooperative pool: closing waits for the notifier thread and for every read in
        // flight, and an async read hands its connection back on that pool. Two stores closing
        // at once on its threads (two on a 2-core machine) would wait for each other's reads.
        let (notifier, changes, database, filePath) = (self.notifier, self.changes, self.database, self.filePath)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                notifier.stop()
                changes.close()
                do {
                    try database.close()
                } catch {
                    continuation.resume(throwing: SQLiteErrors.map(error))
                    return
                }
                DatabaseFile.checkpointIfLastUser(path: filePath)
                continuation.resume()
            }
        }
    }
}
