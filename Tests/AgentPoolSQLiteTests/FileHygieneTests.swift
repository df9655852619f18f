import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import GRDB
import Testing

/// What a SQLite database leaves on disk (issue 20, items 8 and 9): one self-contained file once
/// everyone has closed it, one set of sidecars whatever name reaches it, no files left behind by
/// a killed process, and a WAL that a stuck reader grows is reported by `doctor`.
@Suite struct FileHygieneTests {
    static func size(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    static func send(_ store: SQLiteStore, _ pool: PoolID, _ id: String, bytes: Int = 16) async throws {
        try await store.recordMessage(pool, StoredMessage(
            message: Message(messageID: id, from: "w", to: .pool(pool), contentRef: String(repeating: "x", count: bytes), idempotencyKey: id),
            receipt: Receipt(messageID: id, status: .accepted)))
    }

    @Test func theLastStoreToCloseLeavesTheMainFileHoldingEveryCommittedWrite() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let first = try SQLiteStore(path: path, options: quietOptions())
        let second = try SQLiteStore(path: path, options: quietOptions())
        try await first.openPool("p")
        for index in 0..<20 { try await Self.send(first, "p", "m\(index)") }
        try await first.close()
        // Another connection still has the file open: nothing is checkpointed under it.
        #expect((Self.size(path + "-wal") ?? 0) > 0)
        try await Self.send(second, "p", "last")
        try await second.close()

        // What people do with SQLite files: copy the one file.
        let copy = "\(directory.path)/copy.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reopened = try SQLiteStore(path: copy, options: quietOptions())
        #expect(try await reopened.records("p", after: 0, limit: 100).count == 22)
        try await reopened.close()
    }

    @Test func aFileReachedThroughASymlinkSharesItsSidecarsWithTheRealPath() async throws {
        let directory = try TemporaryDirectory()
        let real = "\(directory.path)/real.sqlite"
        let link = "\(directory.path)/link.sqlite"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.sqlite")
        let viaReal = try SQLiteStore(path: real, options: quietOptions())
        let viaLink = try SQLiteStore(path: link, options: quietOptions())
        #expect(FileManager.default.fileExists(atPath: real + "-notify"))
        #expect(!FileManager.default.fileExists(atPath: link + "-notify"), "one -notify sidecar, keyed by the real path")

        // A watcher through the link is woken by a commit through the real path, not by the 1 s
        // safety poll: the wait is bounded well below it.
        try await viaReal.openPool("p")
        let watch = RecordWatch(store: viaLink, poolID: "p", after: 0)
        var iterator = watch.makeAsyncIterator()
        #expect(try await iterator.next()?.seq == 1)
        let started = ContinuousClock.now
        try await Self.send(viaReal, "p", "m")
        #expect(try await iterator.next()?.seq == 2)
        print("symlinked watcher woke after \(ContinuousClock.now - started)")
        try await viaLink.close()
        try await viaReal.close()
    }

    @Test func aDanglingSymlinkCreatesItsTargetPrivatelyAndLeavesTheLink() async throws {
        let directory = try TemporaryDirectory()
        let link = "\(directory.path)/link.sqlite"
        let target = "\(directory.path)/data/target.sqlite"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "data/target.sqlite")
        let store = try SQLiteStore(path: link, options: quietOptions())
        try await store.openPool("p")
        try await store.close()
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        #expect((attributes[FileAttributeKey.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "data/target.sqlite")
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(directory.path)/data")
        #expect(!names.contains { $0.contains(".creating-") }, "\(names)")
    }

    @Test func aBackupRemovesTheTemporaryFilesOfKilledBackupsButNotOfLiveOnes() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: quietOptions())
        try await store.openPool("p")
        // A process that has exited: its PID no longer runs.
        let child = try ChildProcess(URL(fileURLWithPath: "/bin/true"), [])
        let deadPID = child.pid
        _ = await child.wait()
        let destination = "\(directory.path)/backup.sqlite"
        let abandoned = "\(destination).creating-\(deadPID)-12345"
        let live = "\(destination).creating-\(getpid())-777"
        for path in [abandoned, live] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 4096)))
        }
        try await store.backup(to: destination)
        #expect(!FileManager.default.fileExists(atPath: abandoned), "a killed backup's file is removed")
        #expect(FileManager.default.fileExists(atPath: live), "a running process's file is kept")
        #expect(FileManager.default.fileExists(atPath: destination))
        try await store.close()
    }

    @Test func doctorReportsAWALThatAStuckReaderKeepsFromBeingCheckpointed() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.walSizeLimitBytes = 64 << 10  // starvation is reported past 4 × this: 256 KiB
        let store = try SQLiteStore(path: path, options: options)
        try await store.openPool("p")
        // Another program holds a read transaction open: on its own thread, until released.
        let reader = try DatabaseQueue(path: path)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let thread = Thread {
            try? reader.inDatabase { db in
                try db.execute(sql: "BEGIN")
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM records")
                holding.signal()
                _ = release.wait(timeout: .now() + 120)
                try db.execute(sql: "COMMIT")
            }
            holding.signal()
        }
        thread.start()
        #expect(await Task.detached { holding.wait(timeout: .now() + 60) }.value == .success)
        for index in 0..<400 { try await Self.send(store, "p", "m\(index)", bytes: 200) }
        let starved = try await store.diagnose()
        let starvation = starved.problems.contains(where: { $0.hasPrefix("checkpoint starvation") })
        #expect(starvation, "\(starved.problems)")
        let walBytes = starved.settings.first { $0.name == "wal_bytes" }?.value
        #expect(walBytes.map { if case .integer(let value) = $0 { value > 256 << 10 } else { false } } == true, "\(String(describing: walBytes))")

        release.signal()
        #expect(await Task.detached { holding.wait(timeout: .now() + 60) }.value == .success)
        try reader.close()
        let healthy = try await store.diagnose()
        let stillStarved = healthy.problems.contains(where: { $0.hasPrefix("checkpoint starvation") })
        #expect(!stillStarved, "\(healthy.problems)")
        try await store.close()
    }
}
