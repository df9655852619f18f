import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import GRDB
import Logging
import Testing

/// How the SQLite backend creates, opens and refuses files.
@Suite struct SQLiteFileTests {
    @Test func aNewDatabaseAndItsParentDirectoriesAreCreatedReadableByTheOwnerOnly() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/a/b/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/a/b")).contains { $0.contains(".creating-") })
        try await store.close()
    }

    @Test func defaultsAreWALNormalFiveSecondsAndForeignKeysOn() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: quietOptions())
        // A write takes the fast path, which lowers the busy timeout while it tries the lock:
        // the timeout in force afterwards must be the configured one.
        try await store.openPool("p")
        let settings = try store.settings()
        #expect(settings == SQLiteSettings(journalMode: "wal", synchronous: "NORMAL", busyTimeoutMillis: 5000, foreignKeys: true, schemaVersion: SQLiteStore.schemaVersion))
    }

    @Test func synchronousFullAndTheBusyTimeoutAreConfigurable() async throws {
        let directory = try TemporaryDirectory()
        var options = quietOptions()
        options.synchronous = .full
        options.busyTimeout = .milliseconds(1500)
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: options)
        let settings = try store.settings()
        #expect(settings.synchronous == "FULL")
        #expect(settings.busyTimeoutMillis == 1500)
    }

    @Test func openingLogsOneSummaryLine() async throws {
        let directory = try TemporaryDirectory()
        let box = CapturingLogHandler.Box()
        var options = SQLiteOptions()
        options.logger = Logger(label: "test") { _ in CapturingLogHandler(box: box) }
        _ = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: options)
        let lines = box.lines.withLock { $0 }
        #expect(lines.count == 1)
        let metadata = lines.first?.2 ?? [:]
        #expect(Set(metadata.keys) == ["backend", "path", "journal_mode", "synchronous", "busy_timeout_ms", "schema_version"])
        #expect(metadata["journal_mode"] == "wal")
        #expect(metadata["backend"] == "sqlite")
    }

    @Test func aNewerSchemaIsRefusedAndTheFileIsUntouched() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')") }
        try queue.close()
        let before = fileBytes(path)

        #expect(throws: AgentPoolError.self) { _ = try SQLiteStore(path: path, options: quietOptions()) }
        let error = try #require(catchError { _ = try SQLiteStore(path: path, options: quietOptions()) })
        #expect(error.kind == .unsupportedSchema)
        #expect(error.retry == .repairNeeded)
        #expect(fileBytes(path) == before)
    }

    @Test func anotherApplicationsDatabaseIsRefusedUntouched() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/other.sqlite"
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')") }
        try queue.close()
        let before = fileBytes(path)
        let error = catchError { _ = try SQLiteStore(path: path, options: quietOptions()) }
        #expect(error?.kind == .unsupportedSchema)
        #expect(fileBytes(path) == before)
    }

    static let badFiles: [(String, Data)] = [
        ("garbage", Data("this is not a database, just text that is long enough".utf8)),
        ("empty", Data()),
        ("truncated header", Data("SQLite for".utf8)),
    ]

    @Test(arguments: badFiles.map(\.0))
    func aFileThatIsNotADatabaseIsAStorageErrorAndStaysUntouched(_ name: String) async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/bad.sqlite"
        let bytes = Self.badFiles.first { $0.0 == name }!.1
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        let error = catchError { _ = try SQLiteStore(path: path, options: quietOptions()) }
        #expect(error?.kind == .storage)
        #expect(error?.code == 26)  // SQLITE_NOTADB
        #expect(fileBytes(path) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["bad.sqlite"])
    }

    @Test func aTruncatedDatabaseIsATypedErrorAndStaysUntouched() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        for index in 0..<400 { try await store.join("p", Member(runID: "run-\(index)", agentID: "agent", topics: ["t"])) }
        try await store.close()
        // A partial copy of the database file alone, as a broken copy or download leaves it.
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let whole = try #require(fileBytes(path))
        let truncated = whole.prefix(whole.count * 2 / 5)
        try truncated.write(to: URL(fileURLWithPath: path))

        var outcome: AgentPoolError?
        do {
            let reopened = try SQLiteStore(path: path, options: quietOptions())
            // Opening may succeed (the header and schema pages survive); reading what was cut off may not.
            _ = try await reopened.snapshot("p")
            _ = try await reopened.allRecords("p")
        } catch let error as AgentPoolError {
            outcome = error
        }
        #expect(outcome?.kind == .storage)
        #expect(outcome?.code.map { $0 & 0xFF } == 11)  // SQLITE_CORRUPT
        #expect(outcome?.retry == .repairNeeded)
        #expect(fileBytes(path) == truncated)
    }

    @Test func reopeningAnUpToDateDatabaseWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.close()
        let before = fileBytes(path)
        let log = StatementLog()
        log.start()
        let again = try SQLiteStore(path: path, options: quietOptions(trace: log.trace))
        _ = try await again.snapshot("p")
        let statements = log.stop()
        try await again.close()
        #expect(!statements.contains { $0.hasPrefix("CREATE") || $0.hasPrefix("INSERT") || $0.hasPrefix("UPDATE") || $0.hasPrefix("BEGIN IMMEDIATE") }, "\(statements)")
        #expect(fileBytes(path) == before)
    }

    @Test func aDirectoryWhereTheFileShouldBeIsAStorageError() async throws {
        let directory = try TemporaryDirectory()
        let error = catchError { _ = try SQLiteStore(path: directory.path, options: quietOptions()) }
        #expect(error?.kind == .storage)
        #expect(error?.message.contains("directory") == true)
    }

    @Test func anEmptyPathIsInvalidInput() {
        #expect(catchError { _ = try SQLiteStore(path: "", options: quietOptions()) }?.field == "path")
    }

    @Test func aCorruptRecordIsATypedErrorAndOtherPoolsKeepWorking() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("broken")
        try await store.openPool("fine")
        try await store.join("broken", Member(runID: "r", agentID: "a"))
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE records SET payload = '{\"type\":\"member_joined\",\"member\":' WHERE id = ((SELECT id FROM pools WHERE pool_id = 'broken') << 40) + 2")
        }
        let files = { [fileBytes(path), fileBytes(path + "-wal")] }
        let beforeReads = files()
        let malformed = await agentPoolErrorOf { _ = try await store.records("broken") }
        #expect(malformed?.kind == .corruptRecord)
        #expect(files() == beforeReads)  // a refused read changes no byte
        #expect(malformed?.message.contains("record 2 of pool 'broken'") == true)

        try await queue.write { db in
            try db.execute(sql: "UPDATE records SET kind = 'mystery', payload = '{\"type\":\"mystery\"}' WHERE id = ((SELECT id FROM pools WHERE pool_id = 'broken') << 40) + 2")
        }
        let unknown = await agentPoolErrorOf { _ = try await store.records("broken") }
        #expect(unknown?.kind == .corruptRecord)
        #expect(unknown?.message.contains("unknown kind 'mystery'") == true)
        try queue.close()

        try await store.join("fine", Member(runID: "r", agentID: "a"))
        #expect(try await store.records("fine").count == 2)
        #expect(try await store.snapshot("broken").members.count == 1)  // projections still serve reads
    }

    @Test func aWriteBlockedPastTheBusyTimeoutIsBusyAndWritesNothingThenSucceedsOnceReleased() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.busyTimeout = .milliseconds(200)
        let store = try SQLiteStore(path: path, options: options)
        try await store.openPool("p")
        var unsafe = Configuration()
        unsafe.allowsUnsafeTransactions = true  // this connection keeps its lock between accesses
        let blocker = try DatabaseQueue(path: path, configuration: unsafe)
        try await blocker.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }

        let error = await agentPoolErrorOf { try await store.join("p", Member(runID: "r", agentID: "a")) }
        #expect(error?.kind == .busy)
        #expect(error?.isRetryable == true)

        try await blocker.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
        try blocker.close()
        #expect(try await store.records("p").count == 1)
        #expect(try await store.join("p", Member(runID: "r", agentID: "a"))?.seq == 2)
    }
}

/// The ``AgentPoolError`` a synchronous `body` threw.
func catchError(_ body: () throws -> Void) -> AgentPoolError? {
    do { try body(); return nil } catch { return error as? AgentPoolError }
}

/// The ``AgentPoolError`` an asynchronous `body` threw.
func agentPoolErrorOf(_ body: () async throws -> Void) async -> AgentPoolError? {
    do { try await body(); return nil } catch { return error as? AgentPoolError }
}

/// Forward migration of a file written by an older schema.
@Suite struct MigrationTests {
    /// A database file of schema version 1 — before member leases, claims and compaction existed —
    /// holding pool `p` with member `r`.
    static func makeFileOfTheFirstSchema(_ path: String) async throws {
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.join("p", Member(runID: "r", agentID: "a"))
        try await store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try Self.keyLogByPoolAndSeq(db)
            try db.execute(sql: """
                DROP TABLE leases; DROP TABLE claims; DROP TABLE claim_queue;
                DROP TABLE message_dependencies; ALTER TABLE messages DROP COLUMN rank;
                ALTER TABLE pools DROP COLUMN compacted_through; ALTER TABLE pools DROP COLUMN checkpoint_seq;
                ALTER TABLE pools ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
                DROP TRIGGER pools_ids_never_reused; DROP TABLE pool_ids;
                DELETE FROM grdb_migrations WHERE identifier IN ('v2-leases', 'v3-claims-compaction', 'v4-cursor-from-log',
                                                                 'v5-pool-incarnations', 'v6-priorities-dependencies',
                                                                 'v7-claim-queue');
                """)
        }
        try queue.close()
    }

    /// Turns the log and the message rows of a current file back into those of schemas 6–7: the
    /// log a `WITHOUT ROWID` table keyed by (pool, seq), with the same rows; every message row
    /// with its JSON; v8 is then not applied.
    static func keyLogByPoolAndSeq(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE old_records (
                pool INTEGER NOT NULL REFERENCES pools(id),
                seq INTEGER NOT NULL,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                recorded_at INTEGER NOT NULL,
                PRIMARY KEY (pool, seq)
            ) WITHOUT ROWID;
            INSERT INTO old_records SELECT id >> 40, id & 1099511627775, kind, payload, recorded_at FROM records;
            DROP TABLE records;
            ALTER TABLE old_records RENAME TO records;
            CREATE TABLE old_messages (
                pool INTEGER NOT NULL REFERENCES pools(id),
                message_id TEXT NOT NULL,
                idempotency_key TEXT NOT NULL,
                status TEXT NOT NULL,
                stored TEXT NOT NULL,
                seq INTEGER NOT NULL,
                deadline INTEGER,
                rank INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (pool, message_id)
            ) WITHOUT ROWID;
            INSERT INTO old_messages SELECT m.pool, m.message_id, m.idempotency_key, m.status,
                coalesce(m.stored, json_extract(r.payload, '$.stored')), m.seq, m.deadline, m.rank
                FROM messages m LEFT JOIN records r ON r.pool = m.pool AND r.seq = m.seq;
            DROP TABLE messages;
            ALTER TABLE old_messages RENAME TO messages;
            CREATE UNIQUE INDEX messages_by_key ON messages(pool, idempotency_key);
            CREATE INDEX messages_due ON messages(pool, deadline) WHERE deadline IS NOT NULL;
            DELETE FROM grdb_migrations WHERE identifier = 'v8-lean-log';
            """)
    }

    /// What a migration must keep of a pool: its whole log, its snapshot and its info.
    struct PoolContents: Equatable {
        var records: [PoolRecord]
        var snapshot: Snapshot
        var info: PoolInfo?

        static func read(_ pool: PoolID, _ store: SQLiteStore) async throws -> PoolContents {
            let info = try await store.read(pool) { try $0.info() }
            return PoolContents(records: try await store.records(pool, after: info?.compactedThrough ?? 0, limit: 100_000),
                                snapshot: try await store.snapshot(pool), info: info)
        }
    }

    @Test func aFileOfSchemaSevenHasItsLogRekeyedWithEveryRecordAndProjectionKept() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/v7.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        // Three pools: one with a random history, one dropped and opened again (a new row id,
        // so ids have a gap), one compacted (its first records are gone).
        try await store.openPool("random")
        var rng = SeededGenerator(seed: 19)
        for _ in 0..<400 { await RandomOperation.random(using: &rng).apply(to: store, pool: "random") }
        for pool in ["reopened", "compacted"] {
            let handle = try await PoolHandle.open(pool, store: store)
            try await handle.join(Member(runID: "r", agentID: "a"))
            for index in 0..<30 {
                try await handle.send(Message(messageID: "m\(index)", from: "r", to: .run("r"), contentRef: "c", idempotencyKey: "m\(index)"))
            }
        }
        try await store.drop("reopened")
        let reopened = try await PoolHandle.open("reopened", store: store)
        try await reopened.join(Member(runID: "again", agentID: "a"))
        _ = try await PoolHandle("compacted", store: store).compact(through: 20)
        let pools = ["random", "reopened", "compacted"]
        var before: [PoolContents] = []
        for pool in pools { before.append(try await PoolContents.read(pool, store)) }
        let summaries = try await store.pools()
        try await store.close()

        let queue = try DatabaseQueue(path: path)
        try await queue.write { try Self.keyLogByPoolAndSeq($0) }
        try queue.close()

        let migrated = try SQLiteStore(path: path, options: quietOptions())
        #expect(try migrated.settings().schemaVersion == 8)
        var after: [PoolContents] = []
        for pool in pools { after.append(try await PoolContents.read(pool, migrated)) }
        #expect(after == before)
        #expect(try await migrated.pools() == summaries)
        let random = after[0]
        #expect(random.records.count > 100 && random.records.map(\.seq) == Array(1...Int64(random.records.count)), "\(random.records.count)")
        #expect(random.snapshot == (try PoolState.replay(poolID: "random", records: random.records).snapshot()))
        #expect(after[2].records.first?.seq == 21, "the compacted pool keeps only its records after 20")
        // Every pool goes on writing where it stood, and reads its new records back.
        for (pool, contents) in zip(pools, after) {
            let handle = try PoolHandle(pool, store: migrated)
            try await handle.join(Member(runID: "late", agentID: "a"))
            let cursor = try #require(contents.info?.cursor)
            let added = try await migrated.records(pool, after: cursor, limit: 10)
            // (A join first delivers what fell due meanwhile: the random pool has messages held back.)
            #expect(added.map(\.seq) == Array((cursor + 1)...(cursor + Int64(added.count)))
                    && added.last?.payload == .memberJoined(Member(runID: "late", agentID: "a")), "\(pool): \(added)")
        }
        try await migrated.close()
        let check = try DatabaseQueue(path: path)
        #expect(try await check.read { try $0.columns(in: "records").map(\.name) } == ["id", "kind", "payload", "recorded_at"])
        try check.close()
    }

    @Test func aLogTheNewKeyCannotHoldIsRefusedAndTheFileIsLeftAtSchemaSeven() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/v7.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.close()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try Self.keyLogByPoolAndSeq(db)
            try db.execute(sql: "INSERT INTO records SELECT pool, 1099511627776, kind, payload, recorded_at FROM records")
        }
        try queue.close()

        #expect {
            _ = try SQLiteStore(path: path, options: quietOptions())
        } throws: { error in
            (error as? AgentPoolError)?.kind == .unsupportedSchema && "\(error)".contains("seq above 1099511627775")
                && "\(error)".contains("stays at schema version 7")
        }
        let check = try DatabaseQueue(path: path)
        let (columns, applied) = try await check.read { db in
            (try db.columns(in: "records").map(\.name),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        try check.close()
        #expect(columns == ["pool", "seq", "kind", "payload", "recorded_at"])
        #expect(applied.count == 7 && !applied.contains("v8-lean-log"))
    }

    @Test func eightProcessesOpeningAFileOfAnOlderSchemaAtOnceAllSucceedAndItIsMigratedOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/old.sqlite"
        try await Self.makeFileOfTheFirstSchema(path)
        for result in try await SimultaneousOpeners.run(path) {
            #expect(result.status == 0 && result.stdout.contains("opened"), "\(result.stdout) \(result.stderr)")
        }
        let store = try SQLiteStore(path: path, options: quietOptions())
        #expect(try store.settings().schemaVersion == SQLiteStore.schemaVersion)
        #expect(try await PoolHandle("p", store: store).members().map(\.runID) == ["r"])
        try await store.close()
        let queue = try DatabaseQueue(path: path)
        let applied = try await queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(applied == ["v1", "v2-leases", "v3-claims-compaction", "v4-cursor-from-log", "v5-pool-incarnations",
                            "v6-priorities-dependencies", "v7-claim-queue", "v8-lean-log"])
        try queue.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-migrating"), "the lock's sidecar is removed")
    }

    @Test func aFileOfSchemaSixHasItsClaimQueueFilledByTheMigration() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/v6.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await ClaimQueueUpgrade.populate(store)
        try await store.close()
        // Back to v6 as it stood: no claim queue, the index over delivered messages.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try Self.keyLogByPoolAndSeq(db)
            try db.execute(sql: """
                DROP TABLE claim_queue;
                CREATE INDEX messages_open ON messages(pool, rank, seq) WHERE status = 'delivered';
                DELETE FROM grdb_migrations WHERE identifier = 'v7-claim-queue';
                """)
        }
        try queue.close()

        let migrated = try SQLiteStore(path: path, options: quietOptions())
        #expect(try migrated.settings().schemaVersion == 8)
        let check = try DatabaseQueue(path: path)
        let entries = try await check.read { db in
            try Row.fetchAll(db, sql: "SELECT claimable_by, message_id FROM claim_queue ORDER BY claimable_by, message_id")
                .map { [$0[0] as String, $0[1] as String] }
        }
        try check.close()
        #expect(entries == ClaimQueueUpgrade.expectedEntries)
        try await ClaimQueueUpgrade.checkClaims(migrated)
        try await migrated.close()
    }

    @Test(arguments: 1..<SQLiteStore.schemaVersion)
    func eightProcessesOpeningAFileOfEachEarlierSchemaVersionAtOnceAllSucceed(version: Int) async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/v\(version).sqlite"
        try Schema.createFile(at: path, version: version)
        for result in try await SimultaneousOpeners.run(path) {
            #expect(result.status == 0 && result.stdout.contains("opened"), "v\(version): \(result.stdout) \(result.stderr)")
        }
        let queue = try DatabaseQueue(path: path)
        let applied = try await queue.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        try queue.close()
        #expect(applied.count == SQLiteStore.schemaVersion, "v\(version): \(applied)")
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.drop("p")
        try await store.openPool("p")
        #expect(try await store.read("p") { try $0.info()?.incarnation } == 2, "ids are not reused after a drop")
        try await store.close()
    }

    @Test func aFileOfTheFirstSchemaIsMigratedForwardOnOpenAndKeepsItsData() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/old.sqlite"
        try await Self.makeFileOfTheFirstSchema(path)

        let reopened = try SQLiteStore(path: path, options: quietOptions())
        #expect(try reopened.settings().schemaVersion == SQLiteStore.schemaVersion)
        #expect(SQLiteStore.schemaVersion == 8)
        let pool = try PoolHandle("p", store: reopened)
        #expect(try await pool.members().map(\.runID) == ["r"])
        try await pool.join(Member(runID: "leased", agentID: "a"), leaseMillis: 1_000)
        #expect(try await pool.heartbeat("leased") != nil)
        // v3: claims and compaction work on the migrated file.
        try await pool.send(Message(messageID: "m", from: "r", to: .run("leased"), contentRef: "c", idempotencyKey: "m"))
        #expect(try await pool.claimNext("leased", leaseMillis: 1_000)?.token == 1)
        #expect(try await pool.compact(through: 2).compactedThrough == 2)
        try await reopened.close()
        // v4: the cursor is the log's last seq; the pools row no longer keeps a copy.
        let migrated = try DatabaseQueue(path: path)
        #expect(try await migrated.read { try $0.columns(in: "pools").map(\.name) }.contains("last_seq") == false)
        try migrated.close()
    }
}
