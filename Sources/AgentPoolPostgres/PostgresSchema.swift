#if Postgres
import AgentPool
import AgentPoolSQL

/// The PostgreSQL schema: the log table plus the projections that snapshots and lookups read,
/// mirroring the SQLite backend's tables, and its forward migrations.
///
/// Every table lives in the store's own PostgreSQL schema (`agentpool` by default), which the
/// connections put first on their search path. Text that is sorted or compared (`ORDER BY`
/// ids) uses the `"C"` collation: byte order, as on SQLite and in the in-memory store, whatever
/// the database's locale.
package enum PostgresSchema {
    /// One forward migration: statements run in order, in the migrating transaction.
    struct Migration: Sendable {
        let name: String
        let statements: [String]
        /// Swift run after the statements, in the same transaction (data a statement cannot
        /// compute, such as entries derived by the core's rules).
        var backfill: (@Sendable (any SQLSession) throws -> Void)? = nil
    }

    /// The migrations, oldest first. The schema version is the number applied.
    static let migrations: [Migration] = [
        Migration(name: "v1", statements: [
            // One row per pool. last_seq is written once per transaction, so that snapshots read
            // the cursor without touching the log; writers lock this row FOR UPDATE, which is
            // what serializes the appends of one pool across every client.
            """
            CREATE TABLE pools (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                pool_id text COLLATE "C" NOT NULL UNIQUE,
                config text NOT NULL,
                created boolean NOT NULL DEFAULT false,
                last_seq bigint NOT NULL
            )
            """,
            // The append-only log: the source of truth. The payload is the record JSON as text
            // (not jsonb), so that exports are byte-identical to the SQLite backend's.
            """
            CREATE TABLE records (
                pool bigint NOT NULL REFERENCES pools(id),
                seq bigint NOT NULL,
                kind text NOT NULL,
                payload text NOT NULL,
                recorded_at bigint NOT NULL,
                PRIMARY KEY (pool, seq)
            )
            """,
            // Projections, updated in the same transaction as each append.
            """
            CREATE TABLE members (
                pool bigint NOT NULL REFERENCES pools(id),
                run_id text COLLATE "C" NOT NULL,
                agent_id text COLLATE "C" NOT NULL,
                member text NOT NULL,
                PRIMARY KEY (pool, run_id)
            )
            """,
            "CREATE INDEX members_by_agent ON members (pool, agent_id, run_id)",
            """
            CREATE TABLE member_topics (
                pool bigint NOT NULL REFERENCES pools(id),
                topic text COLLATE "C" NOT NULL,
                run_id text COLLATE "C" NOT NULL,
                PRIMARY KEY (pool, topic, run_id)
            )
            """,
            """
            CREATE TABLE messages (
                pool bigint NOT NULL REFERENCES pools(id),
                message_id text COLLATE "C" NOT NULL,
                idempotency_key text COLLATE "C" NOT NULL,
                status text NOT NULL,
                stored text NOT NULL,
                seq bigint NOT NULL,
                deadline bigint,
                PRIMARY KEY (pool, message_id)
            )
            """,
            "CREATE UNIQUE INDEX messages_by_key ON messages (pool, idempotency_key)",
            "CREATE INDEX messages_due ON messages (pool, deadline) WHERE deadline IS NOT NULL",
            """
            CREATE TABLE wakes (
                pool bigint NOT NULL REFERENCES pools(id),
                condition_id text COLLATE "C" NOT NULL,
                idempotency_key text COLLATE "C" NOT NULL,
                status text NOT NULL,
                stored text NOT NULL,
                seq bigint NOT NULL,
                deadline bigint,
                PRIMARY KEY (pool, condition_id)
            )
            """,
            "CREATE UNIQUE INDEX wakes_by_key ON wakes (pool, idempotency_key)",
            "CREATE INDEX wakes_due ON wakes (pool, deadline) WHERE deadline IS NOT NULL",
            "CREATE INDEX wakes_registered ON wakes (pool, condition_id) WHERE status = 'registered'",
            // Durable consumers' cursors: a side table, so that acks do not grow the log.
            """
            CREATE TABLE consumers (
                pool bigint NOT NULL REFERENCES pools(id),
                name text COLLATE "C" NOT NULL,
                cursor bigint NOT NULL,
                updated_at bigint NOT NULL,
                PRIMARY KEY (pool, name)
            )
            """,
            // Deliveries per run, so that an inbox read never scans the log.
            """
            CREATE TABLE inbox (
                pool bigint NOT NULL REFERENCES pools(id),
                run_id text COLLATE "C" NOT NULL,
                seq bigint NOT NULL,
                message_id text COLLATE "C" NOT NULL,
                PRIMARY KEY (pool, run_id, seq)
            )
            """,
            // Member leases: a side table, so that heartbeats do not grow the log.
            """
            CREATE TABLE leases (
                pool bigint NOT NULL REFERENCES pools(id),
                run_id text COLLATE "C" NOT NULL,
                lease_millis bigint NOT NULL,
                expires_at bigint NOT NULL,
                PRIMARY KEY (pool, run_id)
            )
            """,
            "CREATE INDEX leases_due ON leases (pool, expires_at)",
        ]),
        Migration(name: "v2-claims-compaction", statements: [
            // Claims (competing consumers): a side table, so that claiming does not grow the log.
            """
            CREATE TABLE claims (
                pool bigint NOT NULL REFERENCES pools(id),
                message_id text COLLATE "C" NOT NULL,
                status text NOT NULL,
                run_id text COLLATE "C" NOT NULL,
                token bigint NOT NULL,
                lease_millis bigint NOT NULL,
                expires_at bigint NOT NULL,
                expired_count integer NOT NULL,
                max_attempts integer NOT NULL,
                resent_as text,
                PRIMARY KEY (pool, message_id)
            )
            """,
            "CREATE INDEX claims_due ON claims (pool, expires_at) WHERE status = 'held'",
            "CREATE INDEX claims_by_status ON claims (pool, status, run_id, message_id)",
            // The claim queue: open (delivered) messages in the order of their latest record.
            "CREATE INDEX messages_open ON messages (pool, seq) WHERE status = 'delivered'",
            // Retention: records with seq <= compacted_through were deleted by compaction.
            "ALTER TABLE pools ADD COLUMN compacted_through bigint NOT NULL DEFAULT 0",
            "ALTER TABLE pools ADD COLUMN checkpoint_seq bigint",
        ]),
        Migration(name: "v3-priorities-dependencies", statements: [
            // The claim queue's order: higher priority first (rank is the negated priority), then
            // the latest record's seq. Messages written before have priority 0.
            "ALTER TABLE messages ADD COLUMN rank bigint NOT NULL DEFAULT 0",
            "DROP INDEX messages_open",
            "CREATE INDEX messages_open ON messages (pool, rank, seq) WHERE status = 'delivered'",
            // Which accepted messages wait for which (Message.after).
            """
            CREATE TABLE message_dependencies (
                pool bigint NOT NULL REFERENCES pools(id),
                dependency text COLLATE "C" NOT NULL,
                message_id text COLLATE "C" NOT NULL,
                PRIMARY KEY (pool, dependency, message_id)
            )
            """,
            // Claims released with a back-off: not claimable before expires_at.
            "CREATE INDEX claims_retry ON claims (pool, expires_at) WHERE status = 'open'",
            // Concurrency limits: live claims counted per address of the claimed message.
            "ALTER TABLE claims ADD COLUMN target text COLLATE \"C\" NOT NULL DEFAULT ''",
            "CREATE INDEX claims_live ON claims (pool, target, expires_at) WHERE status = 'held'",
        ]),
        Migration(name: "v4-claim-queue", statements: [
            // The claim queue by who may claim (ClaimQueue): one entry per key of a delivered
            // message that no claim holds, so that a claim reads only its own keys' ranges. It
            // replaces the index over every delivered message.
            """
            CREATE TABLE claim_queue (
                pool bigint NOT NULL REFERENCES pools(id),
                claimable_by text COLLATE "C" NOT NULL,
                rank bigint NOT NULL,
                seq bigint NOT NULL,
                message_id text COLLATE "C" NOT NULL,
                PRIMARY KEY (pool, claimable_by, rank, seq)
            )
            """,
            "DROP INDEX messages_open",
        ], backfill: { try ClaimQueueBackfill.run($0, statements: PostgresSQLSession.statements) }),
    ]

    /// The schema version this build writes.
    static var currentVersion: Int { migrations.count }

    /// The first key of every advisory lock the store takes ("AGPP"); the second tells them apart.
    static let advisoryNamespace: Int32 = 0x4147_5050

    /// The schema version stored in `session`'s schema: 0 when the store's tables do not exist.
    static func storedVersion(_ session: PostgresSession) throws -> Int {
        let exists = try session.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard let row = exists.first, try row.decode(Bool.self) else { return 0 }
        return try session.query("SELECT coalesce(max(version), 0)::bigint FROM schema_migrations").first.map {
            Int(try $0.decode(Int64.self))
        } ?? 0
    }

    /// Brings the store's schema to ``currentVersion`` and returns the version.
    ///
    /// Opening an up-to-date store writes nothing. Otherwise the missing migrations run in one
    /// transaction under an advisory lock, so that clients opening a new database at once
    /// migrate it once.
    /// - Throws: `unsupportedSchema` when the stored version is newer than this build's (nothing
    ///   is written); `notFound` when there is no store and `createIfMissing` is false; `busy`,
    ///   `storage`.
    static func migrate(_ session: PostgresSession, createIfMissing: Bool = true) throws -> Int {
        let version = try storedVersion(session)
        try refuseNewer(version, session.location)
        if version == currentVersion { return version }
        if version == 0, !createIfMissing {
            throw AgentPoolError.make(.notFound, "no agentpool store in schema '\(session.location.schema)' of \(session.location.redacted)")
        }
        let schema = session.location.schema
        return try session.transaction("BEGIN") {
            // Per schema: clients migrating other schemas of the database do not wait for this one.
            try session.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [advisoryNamespace, "schema:\(schema)"])
            try session.query("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
            try session.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            // Read again under the lock: another client may have migrated meanwhile.
            let applied = try storedVersion(session)
            try refuseNewer(applied, session.location)
            for (index, migration) in migrations.enumerated() where index + 1 > applied {
                for statement in migration.statements { try session.query(statement) }
                try migration.backfill?(PostgresSQLSession(session))
                try session.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [Int32(index + 1), migration.name])
            }
            return currentVersion
        }
    }

    /// Creates the store's tables in `location`'s schema as schema `version` (1…``currentVersion``)
    /// left them, for upgrade tests: the migrations up to it, recorded as applied.
    package static func createSchema(at location: PostgresLocation, version: Int) async throws {
        var statements = ["CREATE SCHEMA IF NOT EXISTS \"\(location.schema)\"", "SET search_path TO \"\(location.schema)\"",
                          "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"]
        for (index, migration) in migrations.prefix(version).enumerated() {
            statements += migration.statements
            statements.append("INSERT INTO schema_migrations (version, name) VALUES (\(index + 1), '\(migration.name)')")
        }
        _ = try await PostgresAdmin.execute(location, statements)
    }

    private static func refuseNewer(_ version: Int, _ location: PostgresLocation) throws {
        guard version <= currentVersion else {
            throw AgentPoolError.make(.unsupportedSchema,
                "the store in schema '\(location.schema)' of \(location.redacted) has schema version \(version); this build reads up to \(currentVersion)")
        }
    }
}
#endif
