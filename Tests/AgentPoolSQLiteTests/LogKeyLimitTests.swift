import AgentPool
import AgentPoolConformance
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import GRDB
import Testing

/// The limits of the SQLite log's key (pool row id × 2⁴⁰ + seq): past either, a write is a typed
/// error and nothing is written.
@Suite struct LogKeyLimitTests {
    /// Runs `sql` on a separate connection to the file.
    static func execute(_ path: String, _ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write { try $0.execute(sql: sql) }
    }

    @Test func aFileThatHasGivenEveryPoolIdRefusesANewPoolAndWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("first")
        try Self.execute(path, "UPDATE pool_ids SET last = 8388607")
        await #expect {
            try await store.openPool("one-too-many")
        } throws: { error in
            (error as? AgentPoolError)?.kind == .storage && "\(error)".contains("no pool id left")
        }
        #expect(try await store.pools().map(\.poolID) == ["first"])
        // The pools there go on working.
        try await store.join("first", Member(runID: "r", agentID: "a"))
        #expect(try await store.read("first") { try $0.isMember("r") })
        try await store.close()
    }

    @Test func thePoolOfTheLargestIdWritesReadsAndDropsItsLogLikeAnyOther() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try Self.execute(path, "UPDATE pool_ids SET last = 8388606")
        let pool = try await PoolHandle.open("last", store: store)
        #expect(try await store.read("last") { try $0.info()?.incarnation } == 8_388_607)
        try await pool.join(Member(runID: "r", agentID: "a"))
        for index in 0..<3 {
            try await pool.send(Message(messageID: "m\(index)", from: "r", to: .run("r"), contentRef: "c", idempotencyKey: "m\(index)"))
        }
        let records = try await store.records("last", after: 0, limit: 100)
        #expect(records.map(\.seq) == Array(1...Int64(records.count)) && records.count >= 8)
        #expect(try await pool.snapshot().cursor == records.last?.seq)
        #expect(try await store.message("last", forKey: "m2")?.receipt.status == .delivered)
        try await store.drop("last")
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM records") } == 0, "the drop left no record")
        try queue.close()
        try await store.close()
    }

    @Test func aPoolWhoseLogIsFullRefusesTheNextRecordAndWritesNothing() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("full")
        try await store.openPool("next")
        // The pool's last record at the largest seq the key holds.
        try Self.execute(path, """
            INSERT INTO records (id, kind, payload, recorded_at)
            SELECT (id << 40) + 1099511627775, 'pool_created', '{"type":"pool_created"}', 1 FROM pools WHERE pool_id = 'full'
            """)
        let cursor = try await store.read("full") { try $0.info()?.cursor }
        #expect(cursor == 1_099_511_627_775)
        await #expect {
            try await store.join("full", Member(runID: "r", agentID: "a"))
        } throws: { error in
            (error as? AgentPoolError)?.kind == .storage && "\(error)".contains("is full")
        }
        #expect(try await store.read("full") { try $0.isMember("r") } == false)
        // The next pool's range starts right after: its log is its own.
        try await store.join("next", Member(runID: "r", agentID: "a"))
        let next = try await store.records("next", after: 0, limit: 10)
        #expect(next.map(\.seq) == Array(1...Int64(next.count)) && next.last?.payload == .memberJoined(Member(runID: "r", agentID: "a")),
                "\(next)")
        try await store.close()
    }
}
