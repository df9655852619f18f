import AgentPool
import AgentPoolConformance
import Foundation
import AgentPoolSQLite
import AgentPoolTestSupport
import GRDB
import Testing

/// Snapshots and dedupe lookups read the projections through indexes, and the log only by a
/// record's key (the pool's last record; a message row's record, its body), never a replay,
/// proven with SQLite's own statement trace and `EXPLAIN QUERY PLAN`.
@Suite struct ProjectionReadTests {
    /// A store with a pool that has some history, and the log of statements it runs.
    func populatedStore() async throws -> (SQLiteStore, StatementLog, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let log = StatementLog()
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: quietOptions(trace: log.trace))
        try await store.openPool("p")
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<300 { await RandomOperation.random(using: &rng).apply(to: store, pool: "p") }
        try await store.join("p", Member(runID: "reader", agentID: "a", topics: ["t"]))
        return (store, log, directory)
    }

    /// The one read of the log a transaction makes: the pool's last record, its seq (the
    /// cursor) and its `recorded_at` (so that time never goes backwards within the pool), each a
    /// seek to the last entry of the log's primary key for the pool, never a replay.
    static let cursorReads = [
        "(SELECT (r.id & 1099511627775) FROM records r WHERE r.id > (pools.id << 40) AND r.id <= ((pools.id << 40) + 1099511627775) ORDER BY r.id DESC LIMIT 1)",
        "(SELECT r.recorded_at FROM records r WHERE r.id > (pools.id << 40) AND r.id <= ((pools.id << 40) + 1099511627775) ORDER BY r.id DESC LIMIT 1)",
    ]

    /// The other read of the log: a message row without its own copy of the JSON reads it from
    /// the record it was written with, one seek by the record's key.
    static let messageBodyRead =
        "(SELECT substr(b.payload, 11, length(b.payload) - 32) FROM records b WHERE b.id = (m.pool << 40) + m.seq AND b.kind = 'run_message')"

    /// `sql` (whitespace folded) without the reads of the pool's last record and of message bodies.
    static func withoutCursorRead(_ sql: String) -> String {
        (cursorReads + [messageBodyRead]).reduce(sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")) {
            $0.replacingOccurrences(of: $1, with: "")
        }
    }

    /// The query plan lines of `sql`, run on a separate connection to the same file.
    func queryPlan(_ sql: String, path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            let placeholders = sql.filter { $0 == "?" }.count
            let arguments = StatementArguments(Array(repeating: DatabaseValue.null, count: placeholders))
            return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)", arguments: arguments).map { $0["detail"] as String }
        }
    }

    @Test func snapshotsAndLookupsReadTheLogOnlyByKeyAndEveryQueryUsesAnIndex() async throws {
        let (store, log, directory) = try await populatedStore()
        let statements = try await log.during {
            _ = try await store.snapshot("p")
            _ = try await store.message("p", forKey: "k3")
            _ = try await store.wake("p", forKey: "wk3")
            _ = try await store.wake("p", id: "w3")
            _ = try await store.read("p") { reader in
                (try reader.member("reader"), try reader.members(ofAgent: "a"), try reader.members(inTopic: "t"),
                 try reader.registeredWakes(), try reader.inbox(run: "reader", after: 0, limit: 10), try reader.message("m1"),
                 try reader.claimCandidates(key: "run:reader", at: 0, after: .start, limit: 5), try reader.dependents(of: "m1"))
            }
        }
        // GRDB's own `SELECT * FROM sqlite_master LIMIT 1` (a new reader's warm-up) is not ours.
        let queries = statements.filter { $0.hasPrefix("SELECT") && !$0.contains("sqlite_master") }
        #expect(queries.count >= 12)
        for sql in queries {
            #expect(!Self.withoutCursorRead(sql).contains("records"), "reads the log other than by a record's key: \(sql)")
            let plan = try queryPlan(sql, path: "\(directory.path)/pool.sqlite")
            #expect(!plan.isEmpty)
            // Every table access is an index SEARCH; no SCAN of a table (a SCAN of a temp B-tree
            // would show as "USE TEMP B-TREE", which is also refused: results come in index order).
            // The cursor read is a correlated subquery: a SEARCH of the log's primary key.
            for line in plan where !line.hasPrefix("CORRELATED SCALAR SUBQUERY") {
                #expect(line.hasPrefix("SEARCH"), "\(sql) → \(line)")
            }
        }
    }

    @Test func aWriteReadsProjectionsAndOnlyAppendsToTheLog() async throws {
        let (store, log, _) = try await populatedStore()
        let statements = try await log.during {
            let message = Message(messageID: "fresh", from: "reader", to: .run("reader"), contentRef: "c", idempotencyKey: "fresh-key")
            try await store.write("p") { tx in
                _ = try tx.message(forKey: "fresh-key")
                _ = try tx.member("reader")
                try tx.recordMessage(StoredMessage(message: message, receipt: Receipt(messageID: "fresh", status: .accepted)))
                try tx.recordMessage(StoredMessage(message: message, receipt: Receipt(messageID: "fresh", status: .delivered, deliveredTo: ["reader"])))
            }
        }
        let touchingLog = statements.filter { Self.withoutCursorRead($0).contains("records") }
        #expect(touchingLog.count == 2)
        #expect(touchingLog.allSatisfy { $0.hasPrefix("INSERT INTO records") })
        #expect(statements.first == "BEGIN IMMEDIATE TRANSACTION")
        #expect(statements.last == "COMMIT TRANSACTION")
    }
}

/// An idle watcher stays idle even when its file notification cannot be set up as usual.
@Suite struct IdleWatcherTests {
    @Test func anIdleWatcherDoesNotSpinWhenTheSidecarFileWasDeleted() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let log = StatementLog()
        var options = quietOptions(trace: log.trace)
        options.safetyPoll = .seconds(3600)  // a wake-up, not the poll, must deliver the commit below
        let store = try SQLiteStore(path: path, options: options)
        let pool = try await PoolHandle.open("p", store: store)
        unlink(path + "-notify")
        log.start()
        let started = ContinuousClock.now
        let watcher = Task { () throws -> Seq? in
            for try await record in pool.watch(after: 1) { return record.seq }
            return nil
        }
        try await eventually("the watcher parked on the change signal") { store.changes.waiterCount > 0 }
        // Give a spinning watcher every chance to run: it would issue statements without end.
        for _ in 0..<5_000 { await Task.yield() }
        // Count the watcher's reads of the log (the notifier's safety probe is not one): a spinning
        // watcher reads thousands of times a second; an idle one a few times, plus at most a couple
        // per safety-poll tick on a loaded machine (re-arming after an idle tick).
        let reads = log.stop().filter { $0.contains("FROM records") }
        let seconds = Double((ContinuousClock.now - started).components.seconds) + 1
        #expect(Double(reads.count) < 5 + 3 * seconds, "\(reads.count) reads of the log in \(seconds) s while idle")
        // The notification was re-armed on a recreated sidecar: another process's commit still wakes it.
        // (The notifier thread does that when the waiter arrives; on a loaded machine it may not
        // have run yet, so the check waits for it, boundedly.)
        try await eventually(within: .seconds(20), "the sidecar file recreated") { FileManager.default.fileExists(atPath: path + "-notify") }
        let other = try SQLiteStore(path: path, options: quietOptions())  // as another process opening now
        let appended = try await PoolHandle("p", store: other).join(Member(runID: "late", agentID: "x"))
        #expect(try await boundedValue(of: watcher, within: .seconds(30), "the watcher woken by the other store's commit") == appended)
        try await other.close()
        try await store.close()
    }
}
