import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// WAL hygiene: idle watchers hold no read transaction, so the WAL stays bounded.
@Suite struct WALBoundTests {
    /// The bound the test holds the `-wal` file to: SQLite's automatic checkpoint runs every
    /// 1,000 pages (4 MiB), and one write adds a few pages past it before the checkpoint.
    static let bound = 6 << 20

    @Test func withAnIdleWatcherProcessThe50000AppendsOfAWriterKeepTheWALUnderItsBound() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("busy")
        try await store.openPool("quiet")
        // A watcher process parked on a pool nobody writes to: idle, but following the file.
        let watcher = try ChildProcess(try ChildProcess.helperURL, ["watch", path, "quiet", "1000000"])
        #expect(await watcher.line { $0 == "ready" } != nil)
        #expect(await watcher.line { $0 == "seq 1" } != nil)

        var largest = 0
        for index in 0..<50_000 {
            let id = "m\(index)"
            try await store.recordMessage("busy", StoredMessage(
                message: Message(messageID: id, from: "w", to: .pool("busy"), contentRef: "payload-\(index)", idempotencyKey: id),
                receipt: Receipt(messageID: id, status: .accepted)))
            if index % 500 == 0 {
                largest = max(largest, (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0)
            }
        }
        largest = max(largest, (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0)
        print("largest -wal during 50,000 appends: \(largest) bytes")
        #expect(largest > 0)
        #expect(largest < Self.bound)
        #expect(try await store.records("busy", after: 49_999, limit: 10).count == 2)
        watcher.kill()
        _ = await watcher.wait()
        try await store.close()
    }
}
