import AgentPool
import AgentPoolSQL
import GRDB

/// The SQLite schema: the log table plus the projections that snapshots and lookups read.
package enum Schema {
    /// `PRAGMA application_id` of every agent-pool database ("AGPL"): tells our files from other
    /// SQLite databases, so that the store never adds its tables to someone else's database.
    static let applicationID: Int32 = 0x4147_504C

    /// The migrations, oldest first. The schema version is the number of them applied.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                PRAGMA application_id = \(applicationID);

                -- One row per pool. last_seq was the cursor up to schema v2; since v3 the cursor
                -- is the log's last seq, read from its primary key; v4 drops the column.
                CREATE TABLE pools (
                    id INTEGER PRIMARY KEY,
                    pool_id TEXT NOT NULL UNIQUE,
                    config TEXT NOT NULL,
                    created INTEGER NOT NULL DEFAULT 0,
                    last_seq INTEGER NOT NULL
                );

                -- The append-only log: the source of truth (keyed by one integer since v8).
                CREATE TABLE records (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    PRIMARY KEY (pool, seq)
                ) WITHOUT ROWID;

                -- Projections, updated in the same transaction as each append.
                CREATE TABLE members (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    run_id TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    member TEXT NOT NULL,
                    PRIMARY KEY (pool, run_id)
                ) WITHOUT ROWID;
                CREATE INDEX members_by_agent ON members(pool, agent_id, run_id);

                CREATE TABLE member_topics (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    topic TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    PRIMARY KEY (pool, topic, run_id)
                ) WITHOUT ROWID;

                CREATE TABLE messages (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    message_id TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    stored TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    deadline INTEGER,
                    PRIMARY KEY (pool, message_id)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX messages_by_key ON messages(pool, idempotency_key);
                CREATE INDEX messages_due ON messages(pool, deadline) WHERE deadline IS NOT NULL;

                CREATE TABLE wakes (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    condition_id TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    stored TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    deadline INTEGER,
                    PRIMARY KEY (pool, condition_id)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX wakes_by_key ON wakes(pool, idempotency_key);
                CREATE INDEX wakes_due ON wakes(pool, deadline) WHERE deadline IS NOT NULL;
                CREATE INDEX wakes_registered ON wakes(pool, condition_id) WHERE status = 'registered';

                -- Durable consumers' cursors: a side table, so that acks do not grow the log.
                CREATE TABLE consumers (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    name TEXT NOT NULL,
                    cursor INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (pool, name)
                ) WITHOUT ROWID;

                -- Deliveries per run, so that an inbox read never scans the log.
                CREATE TABLE inbox (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    run_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    message_id TEXT NOT NULL,
                    PRIMARY KEY (pool, run_id, seq)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-leases") { db in
            try db.execute(sql: """
                -- Member leases: a side table, so that heartbeats do not grow the log.
                CREATE TABLE leases (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    run_id TEXT NOT NULL,
                    lease_millis INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    PRIMARY KEY (pool, run_id)
                ) WITHOUT ROWID;
                CREATE INDEX leases_due ON leases(pool, expires_at);
                """)
        }
        migrator.registerMigration("v3-claims-compaction") { db in
            try db.execute(sql: """
                -- Claims (competing consumers): a side table, so that claiming does not grow the log.
                CREATE TABLE claims (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    message_id TEXT NOT NULL,
                    status TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    token INTEGER NOT NULL,
                    lease_millis INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    expired_count INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL,
                    resent_as TEXT,
                    PRIMARY KEY (pool, message_id)
                ) WITHOUT ROWID;
                CREATE INDEX claims_due ON claims(pool, expires_at) WHERE status = 'held';
                CREATE INDEX claims_by_status ON claims(pool, status, run_id, message_id);

                -- The claim queue: open (delivered) messages in the order of their latest record.
                CREATE INDEX messages_open ON messages(pool, seq) WHERE status = 'delivered';

                -- Retention: records with seq <= compacted_through were deleted by compaction.
                ALTER TABLE pools ADD COLUMN compacted_through INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE pools ADD COLUMN checkpoint_seq INTEGER;
                """)
        }
        migrator.registerMigration("v4-cursor-from-log") { db in
            // The cursor is the log's last seq (read from its primary key): a copy in the pools
            // row could only drift from it.
            try db.execute(sql: "ALTER TABLE pools DROP COLUMN last_seq")
        }
        migrator.registerMigration("v5-pool-incarnations") { db in
            // A pool's row id is its incarnation (PoolInfo.incarnation): a pool dropped and opened
            // again must get a new one, but SQLite reuses the largest rowid once it is deleted.
            // The highest id ever given is kept here, and new pools take the next one.
            try db.execute(sql: """
                CREATE TABLE pool_ids (last INTEGER NOT NULL);
                INSERT INTO pool_ids SELECT coalesce(max(id), 0) FROM pools;
                CREATE TRIGGER pools_ids_never_reused AFTER INSERT ON pools
                BEGIN UPDATE pool_ids SET last = max(last, NEW.id); END;
                """)
        }
        migrator.registerMigration("v6-priorities-dependencies") { db in
            try db.execute(sql: """
                -- The claim queue's order: higher priority first (rank is the negated priority),
                -- then the latest record's seq. Messages written before have priority 0.
                ALTER TABLE messages ADD COLUMN rank INTEGER NOT NULL DEFAULT 0;
                DROP INDEX messages_open;
                CREATE INDEX messages_open ON messages(pool, rank, seq) WHERE status = 'delivered';

                -- Which accepted messages wait for which (Message.after), so that a message
                -- becoming final finds its dependents without scanning the pool's messages.
                CREATE TABLE message_dependencies (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    dependency TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    PRIMARY KEY (pool, dependency, message_id)
                ) WITHOUT ROWID;

                -- Claims released with a back-off: not claimable before expires_at, which is a
                -- deadline a claim stream sleeps until.
                CREATE INDEX claims_retry ON claims(pool, expires_at) WHERE status = 'open';

                -- Concurrency limits (PoolConfig.claim_limits): live claims counted per address
                -- of the claimed message ('' for claims written before).
                ALTER TABLE claims ADD COLUMN target TEXT NOT NULL DEFAULT '';
                CREATE INDEX claims_live ON claims(pool, target, expires_at) WHERE status = 'held';
                """)
        }
        migrator.registerMigration("v7-claim-queue") { db in
            try db.execute(sql: """
                -- The claim queue by who may claim (ClaimQueue): one entry per key of a delivered
                -- message that no claim holds — its address for queued work, run:R per recipient
                -- otherwise — so that a claim reads only its own keys' ranges, never past work
                -- for other runs or held by live claims. It replaces the index over every
                -- delivered message.
                CREATE TABLE claim_queue (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    claimable_by TEXT NOT NULL,
                    rank INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    message_id TEXT NOT NULL,
                    PRIMARY KEY (pool, claimable_by, rank, seq)
                ) WITHOUT ROWID;
                DROP INDEX messages_open;
                """)
            try ClaimQueueBackfill.run(SQLiteSession(db), statements: SQLiteSession.statements)
        }
        migrator.registerMigration("v8-lean-log") { db in
            // Fewer pages per write (LogKey): the log keyed by one integer, pool × 2⁴⁰ + seq, its
            // rowid, so that appends go to the end of a rowid table; message rows without a second
            // copy of their JSON (`stored` may be NULL: read from the record at `seq`). Rows
            // migrated keep their copy.
            let outOfRange = try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE pool NOT BETWEEN 1 AND ? OR seq NOT BETWEEN 1 AND ?",
                                              arguments: [LogKey.maximumPoolRow, LogKey.maximumSeq]) ?? 0
            guard outOfRange == 0 else {
                throw AgentPoolError.make(.unsupportedSchema,
                    "\(outOfRange) records have a pool row id above \(LogKey.maximumPoolRow) or a seq above \(LogKey.maximumSeq): this version cannot key them; the log is left as it was (the file stays at schema version 7)")
            }
            try db.execute(sql: """
                CREATE TABLE log (
                    id INTEGER PRIMARY KEY,  -- the pool's row id × 2⁴⁰ + seq
                    kind TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL
                );
                INSERT INTO log (id, kind, payload, recorded_at)
                    SELECT (pool << \(LogKey.seqBits)) + seq, kind, payload, recorded_at FROM records ORDER BY pool, seq;
                DROP TABLE records;
                ALTER TABLE log RENAME TO records;

                CREATE TABLE lean_messages (
                    pool INTEGER NOT NULL REFERENCES pools(id),
                    message_id TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    stored TEXT,  -- NULL: the run_message record at seq holds the message
                    seq INTEGER NOT NULL,
                    deadline INTEGER,
                    rank INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (pool, message_id)
                ) WITHOUT ROWID;
                INSERT INTO lean_messages (pool, message_id, idempotency_key, status, stored, seq, deadline, rank)
                    SELECT pool, message_id, idempotency_key, status, stored, seq, deadline, rank FROM messages;
                DROP TABLE messages;
                ALTER TABLE lean_messages RENAME TO messages;
                CREATE UNIQUE INDEX messages_by_key ON messages(pool, idempotency_key);
                CREATE INDEX messages_due ON messages(pool, deadline) WHERE deadline IS NOT NULL;
                """)
        }
        return migrator
    }

    /// The schema version this build writes.
    static var currentVersion: Int { migrator.migrations.count }

    /// Creates an empty database at `path` of schema `version` (1…``currentVersion``), in WAL
    /// mode, as that version of this package left new files: for upgrade tests.
    package static func createFile(at path: String, version: Int) throws {
        let queue = try DatabaseQueue(path: path)
        try migrator.migrate(queue, upTo: migrator.migrations[version - 1])
        _ = try queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
        try queue.close()
    }
}
