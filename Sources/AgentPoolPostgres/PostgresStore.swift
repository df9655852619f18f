#if Postgres
import AgentPool
import AgentPoolSQL
import Foundation
import Logging
import PostgresNIO

/// The server backend: all pools in one schema of a PostgreSQL database, shared by any number
/// of processes on any number of machines, with the same guarantees as the SQLite backend.
///
/// Each write is one transaction that locks the pool's row (`FOR UPDATE`), appends to the log,
/// updates the projections and queues a `NOTIFY`, all committed together: seqs stay gapless and
/// idempotency keys unique per pool whatever the number of clients. Snapshots and lookups read
/// the projections only. A write that waits for another client's lock past
/// ``PostgresOptions/lockTimeout``, a deadlock and a serialization failure are the retryable
/// `busy`, with nothing written. Durability is the server's (`synchronous_commit`, replication).
public final class PostgresStore: PoolStore {
    /// Where the store lives (print ``PostgresLocation/redacted``: it has no password).
    public let location: PostgresLocation
    /// The options the store was opened with.
    public let options: PostgresOptions
    private let workers: SessionWorkers
    private let listener: ChangeListener
    private let configs = ConfigCache()
    /// The time source stamped on records.
    /// The server's clock (``ServerClock``) when the options give the system clock; otherwise the
    /// options' clock as is (a test's manual clock).
    public var clock: any AgentPoolClock { serverClock ?? options.clock }
    private let serverClock: ServerClock?
    /// Bumped after this store's writes and whenever any client commits to the store's schema.
    public let changes = ChangeSignal()
    /// Where the store and its coordinators report metrics.
    public let metrics: AgentPoolMetrics

    /// The schema version this build writes and reads.
    public static var schemaVersion: Int { PostgresSchema.currentVersion }

    /// Opens the store at `url` (see ``PostgresLocation`` for the format); see ``open(location:options:)``.
    /// - Throws: `invalidInput` for a malformed URL (nothing is connected); what
    ///   ``open(location:options:)`` throws.
    public static func open(url: String, options: PostgresOptions = PostgresOptions()) async throws -> PostgresStore {
        try await open(location: PostgresLocation(url: url), options: options)
    }

    /// Connects to the server, creates the store's schema and tables when missing, and migrates
    /// them forward, without blocking the calling thread: the work runs on the store's own
    /// connection threads. Logs one summary line, without the password.
    ///
    /// Opening an up-to-date store writes nothing; clients opening a new database at once create
    /// the tables once.
    /// - Throws: `unsupportedSchema` when the schema was written by a newer version (nothing is
    ///   changed); `notFound` when there is no store and ``PostgresOptions/createIfMissing`` is
    ///   false; `storage` when the server refuses the login or the database is missing; `busy`
    ///   when it cannot be reached or a lock is held. On any error every connection opened is
    ///   closed.
    public static func open(location: PostgresLocation, options: PostgresOptions = PostgresOptions()) async throws -> PostgresStore {
        let store = PostgresStore(connectingTo: location, options: options)
        do {
            store.opened(try await store.workers.run { try Self.migrate($0, options: options) })
        } catch {
            await store.workers.close()
            throw error
        }
        return store
    }

    /// Opens the store at `url`, blocking the calling thread; see ``init(location:options:)``.
    public convenience init(url: String, options: PostgresOptions = PostgresOptions()) throws {
        try self.init(location: PostgresLocation(url: url), options: options)
    }

    /// ``open(location:options:)`` for synchronous callers: blocks the calling thread until the
    /// store is open, so it must not be a SwiftNIO event loop thread, and in async code
    /// ``open(location:options:)`` is the one to use (this one holds a cooperative thread).
    /// - Throws: what ``open(location:options:)`` throws.
    public convenience init(location: PostgresLocation, options: PostgresOptions = PostgresOptions()) throws {
        self.init(connectingTo: location, options: options)
        // On error the store is released at once and its deinit closes what was opened.
        opened(try workers.runBlocking { try Self.migrate($0, options: options) })
    }

    /// Sets the store up without connecting: connections open on first use.
    private init(connectingTo location: PostgresLocation, options: PostgresOptions) {
        self.location = location
        self.options = options
        serverClock = options.clock is SystemClock ? ServerClock(base: options.clock) : nil
        metrics = options.metrics ?? AgentPoolMetrics()
        workers = SessionWorkers(maximum: options.maximumConnections, name: "agentpool-postgres") {
            try PostgresSession.connect(location, options: options)
        }
        let workers = self.workers
        listener = ChangeListener(location: location, options: options, signal: changes) {
            try? await workers.run { session in
                try session.query("SELECT id, last_seq FROM pools ORDER BY id").flatMap { row in
                    let (id, seq) = try row.decode((Int64, Int64).self)
                    return [id, seq]
                }
            }
        }
    }

    /// Measures the server clock's offset on `session` when it is stale (before the transaction
    /// begins, so no lock is held meanwhile).
    private static func refresh(_ clock: ServerClock?, _ session: PostgresSession) throws {
        guard let clock, clock.isStale else { return }
        try clock.measure {
            guard let row = try session.query(ServerClock.serverTimeSQL).first else {
                throw AgentPoolError.make(.storage, "the server returned no time")
            }
            return try row.decode(Int64.self)
        }
    }

    /// Creates or migrates the schema on `session` and reads the settings back.
    private static func migrate(_ session: PostgresSession, options: PostgresOptions) throws -> PostgresSettings {
        let version = try PostgresSchema.migrate(session, createIfMissing: options.createIfMissing)
        return try settings(session, schemaVersion: version)
    }

    /// Finishes opening once the schema is in place: waiting tasks arm the listener, and the
    /// summary line is logged.
    private func opened(_ settings: PostgresSettings) {
        let listener = self.listener
        changes.onWait { listener.arm() }
        var metadata: Logger.Metadata = ["backend": "postgresql", "location": "\(location.redacted)"]
        for setting in settings.all + [StoreSetting("schema_version", .integer(Int64(settings.schemaVersion)))] {
            metadata[setting.name] = "\(setting.text)"
        }
        options.logger.info("agentpool store opened", metadata: metadata)
    }

    deinit {
        // A store dropped without close(): release its connections and threads anyway.
        listener.shutdown()
        workers.shutdown()
    }

    /// The settings in force, read back from the server.
    func settings() async throws -> PostgresSettings {
        try await workers.run { session in
            try Self.settings(session, schemaVersion: try PostgresSchema.storedVersion(session))
        }
    }

    private static func settings(_ session: PostgresSession, schemaVersion: Int) throws -> PostgresSettings {
        guard let row = try session.query("""
            SELECT current_setting('server_version'), current_setting('synchronous_commit'),
                   (extract(epoch FROM current_setting('lock_timeout')::interval) * 1000)::bigint
            """).first else { throw AgentPoolError.make(.storage, "the server returned no settings") }
        let (version, synchronous, lockTimeout) = try row.decode((String, String, Int64).self)
        return PostgresSettings(all: [
            StoreSetting("server_version", .string(version)),
            StoreSetting("synchronous_commit", .string(synchronous)),
            StoreSetting("lock_timeout_ms", .integer(lockTimeout)),
            StoreSetting("schema", .string(session.location.schema)),
        ], schemaVersion: schemaVersion)
    }

    /// Runs `body` on a consistent read-only view of `pool` (see ``PoolStore/read(_:_:)``): one
    /// `REPEATABLE READ, READ ONLY` transaction, so every read of the body sees the same moment.
    public func read<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolReader) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let clock = self.clock, serverClock = self.serverClock
        let configs = self.configs
        return try await transaction { session in
            try Self.refresh(serverClock, session)
            return try session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", readOnly: true) {
                let storage = SQLPoolStorage(session: PostgresSQLSession(session), poolID: pool,
                                             statements: PostgresSQLSession.statements, dialect: PostgresSQLSession.dialect,
                                             configs: configs)
                return try storage.runRead(now: clock.nowMillis(), body)
            }
        }
    }

    /// Runs `body` as one atomic write on `pool`: all its appends or none (see ``PoolStore/write(_:_:)``).
    public func write<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolWriter) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let clock = self.clock, serverClock = self.serverClock
        let channel = listener.channel
        let configs = self.configs
        let (result, wrote, appended): (T, Bool, Int)
        do {
            (result, wrote, appended) = try await transaction { session in
                try Self.refresh(serverClock, session)
                return try session.transaction("BEGIN") {
                    let sql = PostgresSQLSession(session)
                    let locked = try Self.lockPool(sql, pool, configs: configs)
                    let storage = SQLPoolStorage(session: sql, poolID: pool, statements: PostgresSQLSession.statements,
                                                 dialect: PostgresSQLSession.dialect, configs: configs, loaded: .some(locked))
                    // The clock is read once the pool's lock is held, so recorded_at follows seq.
                    let (value, outcome) = try storage.runTransaction(now: clock.nowMillis(), body)
                    return (value, try Self.finish(outcome, pool: pool, session: session, channel: channel), outcome.appendedCount)
                }
            }
        } catch let error as AgentPoolError where error.kind == .busy {
            metrics.busyWait()
            throw error
        }
        metrics.recordsAppended(appended)
        if wrote { changes.notify() }
        return result
    }

    /// Locks `pool`'s row for the rest of the write transaction and returns it; nil when the pool
    /// does not exist, in which case an advisory lock on the pool's name is held instead, so that
    /// two clients opening the same new pool at once take turns (the second then sees the
    /// first's row). Every later statement of the transaction sees all that earlier writers of
    /// the pool committed, and no other writer of the pool can commit until this one ends: seqs
    /// stay gapless across every client.
    private static func lockPool(_ sql: PostgresSQLSession, _ pool: PoolID, configs: ConfigCache) throws -> SQLPoolStorage.LoadedPool? {
        let statements = PostgresSQLSession.statements
        if let locked = try SQLPoolStorage.loadPool(sql, pool, statements: statements, configs: configs, suffix: " FOR UPDATE") {
            return locked
        }
        try sql.session.query("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                              [PostgresSchema.advisoryNamespace, "\(sql.session.location.schema).\(pool)"])
        return try SQLPoolStorage.loadPool(sql, pool, statements: statements, configs: configs, suffix: " FOR UPDATE")
    }

    /// Writes the pool's cursor once for the whole transaction and queues the change notification
    /// (`NOTIFY channel, 'pool:seq'`, delivered by PostgreSQL only if the transaction commits;
    /// `pool:claim` when only a claim ended, for waiting claimers); called before COMMIT.
    /// Returns whether watchers and waiters must be told.
    private static func finish(_ outcome: TransactionOutcome, pool: PoolID, session: PostgresSession, channel: String) throws -> Bool {
        if outcome.dropped {
            try session.execute("SELECT pg_notify($1, $2)", [channel, "\(pool):0"])
            return true
        }
        guard let cursor = outcome.cursor else {
            guard outcome.endedClaim else { return false }
            try session.execute("SELECT pg_notify($1, $2)", [channel, "\(pool):claim"])
            return true
        }
        try session.execute("""
            WITH updated AS (UPDATE pools SET last_seq = $1 WHERE pool_id = $2 RETURNING last_seq)
            SELECT pg_notify($3, $4) FROM updated
            """, [cursor, pool, channel, "\(pool):\(cursor)"])
        return true
    }

    /// Runs `work` (one transaction) on a worker's session. When the connection turns out to be
    /// gone before the transaction's COMMIT was sent (a server restart, a terminated backend, an
    /// idle connection cut by the network), nothing was committed: it runs once more on a new
    /// connection instead of failing.
    private func transaction<T: Sendable>(_ work: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        let attempt = { @Sendable (session: PostgresSession) throws -> T in
            do {
                return try work(session)
            } catch {
                if session.lostBeforeCommit { throw LostBeforeCommit(underlying: error) }
                throw error
            }
        }
        do {
            return try await workers.run(attempt)
        } catch let lost as LostBeforeCommit {
            options.logger.info("agentpool store lost a connection; running the transaction again on a new one", metadata: [
                "location": "\(location.redacted)", "error": "\(lost.underlying)",
            ])
            do {
                return try await workers.run(attempt)
            } catch let again as LostBeforeCommit {
                throw again.underlying
            }
        }
    }

    /// Every pool with its cursor and counts, sorted by pool id.
    public func pools() async throws -> [PoolSummary] {
        try await workers.run { session in
            try session.query("""
                SELECT p.pool_id, p.last_seq,
                       (SELECT count(*) FROM members m WHERE m.pool = p.id),
                       (SELECT count(*) FROM messages g WHERE g.pool = p.id)
                FROM pools p ORDER BY p.pool_id
                """).map { row in
                let (pool, lastSeq, members, messages) = try row.decode((String, Int64, Int64, Int64).self)
                return PoolSummary(poolID: pool, lastSeq: lastSeq, memberCount: Int(members), messageCount: Int(messages))
            }
        }
    }

    /// Releases the store: stops listening, closes every connection; later calls fail.
    public func close() async throws {
        changes.close()
        await listener.stop()
        await workers.close()
    }

    /// How many times this store's listening connection was established (0 before anyone
    /// waited; +1 on every reconnection).
    package var listenerConnectionCount: Int { listener.connectionCount }

    /// Returns once the listening connection has been established more than `count` times.
    package func waitForListenerConnection(after count: Int) async {
        while true {
            let generation = listener.connected.generation
            if listener.connectionCount > count { return }
            await listener.connected.wait(after: generation)
            if Task.isCancelled { return }
        }
    }
}

/// A transaction that lost its connection before its COMMIT was sent (see
/// `PostgresStore.transaction(_:)`): safe to run again.
private struct LostBeforeCommit: Error {
    let underlying: any Error
}
#endif
