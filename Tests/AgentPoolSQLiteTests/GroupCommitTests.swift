import AgentPool
import AgentPoolConformance
@testable import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import GRDB
import Testing

/// Writes of one process that wait at once share one commit, each in its own savepoint.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable { let index: Int }

    /// Holds the file's write lock from another connection until `release()`.
    final class LockHolder {
        private let queue: DatabaseQueue

        init(path: String) throws {
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        }

        func release() throws {
            try queue.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
            try queue.close()
        }
    }

    /// Waits until `condition` holds; records an issue and returns false after 5 minutes, so that
    /// a broken write path fails the test instead of hanging it, and the caller can release the
    /// lock it holds. (Under ThreadSanitizer with the whole suite running, queueing 24 writes took
    /// over a minute.)
    static func waitUntil(_ what: String, _ condition: () -> Bool) async -> Bool {
        (try? await eventually(within: .seconds(300), what) { condition() }) != nil
    }

    /// The drain waits for the held lock up to the busy timeout: longer than ``waitUntil(_:_:)``
    /// waits, so that a loaded machine queues every write before the drain gives up.
    static let patientBusyTimeoutMillis: Int32 = 600_000

    @Test func writesQueuedBehindALockCommitAsOneBatchAndAThrowingWriteRollsBackAlone() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.busyTimeout = .milliseconds(Int(Self.patientBusyTimeoutMillis))
        let store = try SQLiteStore(path: path, options: options)
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "a", agentID: "agent"))
        let before = try await store.snapshot("p").cursor ?? 0
        let batchesBefore = store.groupCommitFigures.batches

        let holder = try LockHolder(path: path)
        let count = 24
        // Write i records message m-i; every third one appends its message and then throws.
        @Sendable func write(_ index: Int) async -> Result<Seq, any Error> {
            do {
                return .success(try await store.write("p") { tx -> Seq in
                    let message = Message(messageID: "m-\(index)", from: "a", to: .run("a"), contentRef: "c", idempotencyKey: "k-\(index)")
                    let record = try tx.recordMessage(StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: .accepted)))
                    if index % 3 == 0 { throw Refused(index: index) }
                    return record!.seq
                })
            } catch {
                return .failure(error)
            }
        }
        // The first write alone tries the fast path, finds the lock held and queues; the drain then
        // waits for the lock, so the others (which see a write in flight) queue behind it.
        let first = Task { await write(0) }
        let firstQueued = await Self.waitUntil("the first write queued") { store.queuedWriteCount >= 1 }
        let others = (1..<count).map { index in Task { await write(index) } }
        let allQueued = await Self.waitUntil("every write queued") { store.queuedWriteCount >= count }
        try holder.release()
        guard firstQueued, allQueued else { return }

        var results = [await first.value]
        for task in others { results.append(await task.value) }

        let figures = store.groupCommitFigures
        #expect(figures.batches == batchesBefore + 1)
        #expect(figures.largest == count)
        var committed: [Seq] = []
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let seq):
                #expect(index % 3 != 0)
                committed.append(seq)
            case .failure(let error):
                #expect(index % 3 == 0)
                #expect(error as? Refused == Refused(index: index))
            }
        }
        // The committed writes got the next seqs, gapless (in the order they queued, which the
        // tasks' start order does not fix); the refused ones left nothing.
        #expect(committed.sorted() == Array((before + 1)...(before + Seq(committed.count))))
        let records = try await store.records("p", after: before, limit: 100)
        #expect(records.map(\.seq) == committed.sorted())
        let snapshot = try await store.snapshot("p")
        let ids = Set(snapshot.messages.map(\.message.messageID))
        #expect(ids == Set((0..<count).filter { $0 % 3 != 0 }.map { "m-\($0)" }))
        #expect(snapshot == (try PoolState.replay(poolID: "p", records: try await store.records("p", after: 0, limit: 1_000)).snapshot()))
        try await store.close()
    }

    /// A write whose error ends the shared transaction itself (as SQLite does on a full disk or an
    /// I/O error) fails every write of its batch, and the writes after it do not run on their own.
    @Test func aWriteThatEndsTheSharedTransactionFailsItsWholeBatchAndNothingCommits() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/plain.sqlite"
        var configuration = Configuration()
        configuration.busyMode = .timeout(TimeInterval(Self.patientBusyTimeoutMillis) / 1000)
        let database = try DatabasePool(path: path, configuration: configuration)
        try await database.write { try $0.execute(sql: "CREATE TABLE t (value INTEGER NOT NULL)") }
        let writePath = WritePath(busyTimeoutMillis: Self.patientBusyTimeoutMillis, allowsFastPath: true, metrics: AgentPoolMetrics())

        let holder = try LockHolder(path: path)
        let aborting = 2
        var tasks: [Task<Result<Int, any Error>, Never>] = []
        for index in 0..<5 {
            tasks.append(Task {
                do {
                    return .success(try await writePath.run({ db in
                        try db.execute(sql: "INSERT INTO t (value) VALUES (?)", arguments: [index])
                        if index == aborting {
                            try db.execute(sql: "ROLLBACK")
                            throw Refused(index: index)
                        }
                        return index
                    }, on: database))
                } catch {
                    return .failure(error)
                }
            })
            // One at a time, so that the batch holds them in this order.
            guard await Self.waitUntil("write \(index) queued", { writePath.queuedCount >= index + 1 }) else {
                try holder.release()
                return
            }
        }
        try holder.release()
        for task in tasks {
            guard case .failure(let error) = await task.value else {
                Issue.record("a write of the aborted batch succeeded")
                continue
            }
            #expect(error as? Refused == Refused(index: aborting))
        }
        #expect(writePath.batchFigures.largest == 5)
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 0)
        // The path keeps working after it.
        #expect(try await writePath.run({ db in try db.execute(sql: "INSERT INTO t (value) VALUES (9)"); return 9 }, on: database) == 9)
        #expect(try await database.read { try Int.fetchAll($0, sql: "SELECT value FROM t") } == [9])
        try database.close()
    }

    @Test func manyConcurrentSendsOfOneProcessAreAllRecordedOnceAndGapless() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: quietOptions())
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "a", agentID: "agent"))
        try await pool.join(Member(runID: "b", agentID: "agent"))
        let count = 300
        let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await pool.send(Message(messageID: "m-\(index)", from: "a", to: .run("b"), contentRef: "c", idempotencyKey: "k-\(index)"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.count == count)
        #expect(receipts.allSatisfy { $0.status == .delivered })
        let records = try await store.records("p", after: 0, limit: 10_000)
        #expect(records.map(\.seq) == Array(1...Seq(records.count)))
        // pool_opened, two joins, then accepted + delivered per send.
        #expect(records.count == 3 + 2 * count)
        let snapshot = try await store.snapshot("p")
        #expect(Set(snapshot.messages.map(\.message.messageID)).count == count)
        #expect(snapshot == (try PoolState.replay(poolID: "p", records: records).snapshot()))
        try await store.close()
    }
}
