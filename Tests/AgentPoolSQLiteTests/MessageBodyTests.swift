import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import GRDB
import Testing

/// Message rows keep no second copy of their JSON (schema v8): each is read from the record it
/// was written with, and compaction copies the JSON of the rows whose records it deletes.
@Suite struct MessageBodyTests {
    /// Message rows holding their own JSON, on a separate connection to the file.
    static func rowsWithJSON(_ path: String) throws -> Int {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM messages WHERE stored IS NOT NULL") ?? -1 }
    }

    @Test func messagesAreReadFromTheirRecordsAndCompactionKeepsTheBodiesItDeletes() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "r", agentID: "a"))
        // Text outside ASCII everywhere: the body is cut out of the record by characters.
        for index in 0..<30 {
            try await pool.send(Message(messageID: "mé-\(index)-😀", from: "r", to: .run("r"), contentRef: "réf-中文-\(index)",
                                        body: .object(["text": .string("naïve ✓ \(index) 🚀\n\"quoted\"")]), idempotencyKey: "k-ü-\(index)"))
        }
        let before = try await pool.snapshot()
        #expect(before.messages.count == 30)
        for stored in before.messages {
            let index = stored.message.contentRef.split(separator: "-").last.map(String.init) ?? ""
            #expect(stored.message.body == JSONValue.object(["text": .string("naïve ✓ \(index) 🚀\n\"quoted\"")]))
        }
        #expect(try Self.rowsWithJSON(path) == 0, "a message row holds no copy of its record's JSON")
        #expect(try await store.message("p", forKey: "k-ü-7")?.message.messageID == "mé-7-😀")

        // Compaction deletes the records of the first messages: their rows get their JSON first.
        let cursor = try #require(before.cursor)
        let result = try await pool.compact(through: cursor - 10, force: true)
        #expect(result.deleted > 0)
        let kept = try Self.rowsWithJSON(path)
        #expect(kept > 0 && kept < 30, "\(kept) rows hold their JSON")
        #expect(try await pool.snapshot().messages == before.messages)
        #expect(try await store.message("p", forKey: "k-ü-0")?.message.messageID == "mé-0-😀")
        // They stay claimable and completable as before.
        let claimed = try #require(try await pool.claimNext("r", leaseMillis: 60_000))
        #expect(claimed.message.messageID == "mé-0-😀")
        try await store.close()
    }
}
