import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Several real OS processes appending to one SQLite file (SPEC §4, §11).
@Suite struct MultiProcessTests {
    @Test func concurrentWriterProcessesLoseNothingDuplicateNothingAndLeaveGaplessSeqs() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/shared.sqlite"
        let writers = 4
        let perWriter = 250
        let helper = try ChildProcess.helperURL

        // Every child opens the (not yet existing) file at once: creation must be race-free too.
        let children = try (0..<writers).map { try ChildProcess(helper, ["append", path, "p", "\($0)", "\(perWriter)"]) }
        for child in children { child.release() }
        var acknowledged: [String: Seq] = [:]
        for child in children {
            let result = await child.wait()
            #expect(result.status == 0, "writer failed: \(result.stderr)")
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "ack", let seq = Seq(parts[2]) else { continue }
                #expect(acknowledged.updateValue(seq, forKey: String(parts[1])) == nil, "acknowledged twice: \(line)")
            }
        }
        #expect(acknowledged.count == writers * perWriter)

        let store = try SQLiteStore(path: path, options: quietOptions())
        let log = try await store.allRecords("p")
        // Gapless 1…N: one pool_opened, one member_joined per writer, one record per ack.
        #expect(log.map(\.seq) == Array(1...Seq(1 + writers + writers * perWriter)))
        var recorded: [String: Seq] = [:]
        for record in log {
            if case .runMessage(let stored) = record.payload {
                #expect(recorded.updateValue(record.seq, forKey: stored.message.messageID) == nil, "recorded twice")
            }
        }
        // Every acknowledged append is present exactly once, at the seq its writer was told.
        #expect(recorded == acknowledged)

        // Every process computes the same snapshot, equal to the replay of the log.
        let readers = try (0..<writers).map { _ in try ChildProcess(helper, ["snapshot", path, "p"]) }
        let expected = try RecordCodec.encodeJSON(try PoolState.replay(poolID: "p", records: log).snapshot())
        #expect(try RecordCodec.encodeJSON(try await store.snapshot("p")) == expected)
        for reader in readers {
            reader.release()
            let result = await reader.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        }
        try await store.close()
    }
}
