import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// `backup(to:)`: a consistent copy of a live database.
@Suite struct BackupTests {
    @Test func aBackupTakenWhileFourWriterProcessesRunHoldsEveryAcknowledgedRecordAndIsHealthy() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/live.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        let helper = try ChildProcess.helperURL
        let writers = try (0..<4).map { try ChildProcess(helper, ["append", path, "p", "\($0)", "400"]) }
        for writer in writers { writer.release() }
        for (index, writer) in writers.enumerated() {
            #expect(await writer.line { $0.hasPrefix("ack w\(index)-m50 ") } != nil)
        }
        // Everything acknowledged up to this moment must be in the copy.
        let acknowledged = Set(writers.flatMap { writer in
            writer.outputSoFar.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count == 3 && fields[0] == "ack" ? String(fields[1]) : nil
            }
        })
        let copyPath = "\(directory.path)/backups/copy.sqlite"
        try await store.backup(to: copyPath)
        for writer in writers { #expect(await writer.wait().status == 0) }

        let copy = try SQLiteStore(path: copyPath, options: quietOptions())
        #expect(try copy.integrityCheck() == ["ok"])
        let log = try await copy.allRecords("p")
        #expect(log.map(\.seq) == Array(1...Seq(log.count)))
        #expect(try await copy.snapshot("p") == (try PoolState.replay(poolID: "p", records: log).snapshot()))
        let copied = Set(try await copy.snapshot("p").messages.map(\.message.messageID))
        #expect(acknowledged.count >= 4 * 51)
        #expect(acknowledged.isSubset(of: copied))
        #expect((try FileManager.default.attributesOfItem(atPath: copyPath)[.posixPermissions] as? Int) == 0o600)
        // The copy is a full store: it takes writes of its own.
        try await copy.join("p", Member(runID: "after-restore", agentID: "a"))
        try await copy.close()
        try await store.close()
    }

    @Test func aBackupNeverOverwritesAFile() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: "\(directory.path)/live.sqlite", options: quietOptions())
        try await store.openPool("p")
        let existing = "\(directory.path)/taken"
        _ = FileManager.default.createFile(atPath: existing, contents: Data("mine".utf8))
        let error = await agentPoolErrorOf { try await store.backup(to: existing) }
        #expect(error?.kind == .invalidInput)
        #expect(fileBytes(existing) == Data("mine".utf8))
        try await store.close()
    }
}
