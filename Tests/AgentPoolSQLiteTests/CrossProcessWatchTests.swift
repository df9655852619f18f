import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Live watching and durable consumers across real processes on one file (SPEC §9).
@Suite struct CrossProcessWatchTests {
    /// The numbers after `prefix` on each line of `output`.
    func numbers(after prefix: String, in output: String) -> [Seq] {
        output.split(separator: "\n").compactMap { line in
            line.hasPrefix(prefix) ? Seq(line.dropFirst(prefix.count)) : nil
        }
    }

    @Test func aWatcherProcessReceivesEveryRecordOfFourConcurrentWriterProcessesInOrderExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        let (writers, perWriter) = (4, 300)
        let total = 1 + writers + writers * perWriter  // pool_opened, a join per writer, the appends
        let helper = try ChildProcess.helperURL

        let watcher = try ChildProcess(helper, ["watch", path, "p", "\(total)"])
        #expect(await watcher.line { $0 == "ready" } != nil)
        let appenders = try (0..<writers).map { try ChildProcess(helper, ["append", path, "p", "\($0)", "\(perWriter)"]) }
        for appender in appenders { appender.release() }
        for appender in appenders {
            let result = await appender.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        let watched = await watcher.wait()
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(numbers(after: "seq ", in: watched.stdout) == Array(1...Seq(total)))
    }

    @Test func aDurableConsumerKilledBetweenAcksResumesWithoutSkippingAndRepeatsAtMostTheUnackedRecord() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let pool = try await PoolHandle.open("p", store: try SQLiteStore(path: path, options: quietOptions()))
        for index in 0..<400 { try await pool.join(Member(runID: "run-\(index)", agentID: "a")) }
        let last = try #require(try await pool.snapshot().cursor)
        let helper = try ChildProcess.helperURL

        // The first run stops after processing record 151 and before acking it: killed there, it
        // leaves the at-least-once window open on exactly that record.
        let first = try ChildProcess(helper, ["consume", path, "p", "indexer", "\(last)", "151"])
        #expect(await first.line { $0 == "processed 151" } != nil)
        first.kill()
        let killed = await first.wait()
        #expect(killed.status != 0)
        let processedBefore = numbers(after: "processed ", in: killed.stdout)
        let ackedBefore = numbers(after: "acked ", in: killed.stdout)
        #expect(processedBefore == Array(1...151))
        #expect(ackedBefore == Array(1...150))

        let second = try ChildProcess(helper, ["consume", path, "p", "indexer", "\(last)"])
        let resumed = await second.wait()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let processedAfter = numbers(after: "processed ", in: resumed.stdout)
        let storedCursor = try await pool.consumer("indexer").cursor()

        // Nothing skipped: every record was processed by one run or the other, in order.
        #expect(Set(processedBefore + processedAfter) == Set(1...last))
        #expect(processedAfter == processedAfter.sorted())
        // The restart resumed right after the last ack that committed before the kill; what it
        // repeats is only what was processed but not yet acked (at most one record here).
        let resumedAfter = try #require(processedAfter.first) - 1
        #expect(resumedAfter >= (ackedBefore.last ?? 0))
        let repeated = Set(processedBefore).intersection(processedAfter)
        #expect(repeated == [151])
        #expect(storedCursor == last)
    }
}
