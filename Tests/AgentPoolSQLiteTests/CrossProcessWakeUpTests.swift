import AgentPool
import AgentPoolConformance
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Issue 19: a watcher in one process is woken for every commit of another, by the wake-up path
/// alone.
///
/// The writer (a child process) commits one message, then waits for this process to say it saw
/// it before committing the next, and never says what it committed: each commit reaches the
/// watcher only through its wake-up. The safety poll is an hour here, so a single missed wake-up
/// stalls the exchange and fails the bound instead of being papered over a second later.
@Suite struct CrossProcessWakeUpTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let synchronous: SQLiteOptions.Synchronous
        let wakeUp: String
        let commits: Int
        var testDescription: String { "\(wakeUp), synchronous=\(synchronous.rawValue), \(commits) commits" }
    }

    static let cases = [
        Case(synchronous: .full, wakeUp: "shared-word", commits: 2_000),
        Case(synchronous: .normal, wakeUp: "shared-word", commits: 2_000),
        // The file-notification fallback (other platforms, a sidecar that cannot be mapped).
        Case(synchronous: .normal, wakeUp: "file-events", commits: 300),
    ]

    @Test(.serialized, arguments: cases)
    func aWatcherIsWokenForEveryCommitOfAWriterProcess(_ scenario: Case) async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.synchronous = scenario.synchronous
        options.sharedWordWakeUps = scenario.wakeUp == "shared-word"
        options.safetyPoll = .seconds(3600)
        let store = try SQLiteStore(path: path, options: options)
        let pool = try await PoolHandle.open("p", store: store)
        let start = try await pool.records().last?.seq ?? 0

        let writer = try ChildProcess(try ChildProcess.helperURL,
                                      ["pingpong", path, "p", scenario.synchronous.rawValue, scenario.wakeUp, "\(scenario.commits)"])
        #expect(await writer.line { $0 == "ready" } != nil)
        let watching = Task { () throws -> [Seq] in
            var seen: [Seq] = []
            var messages = 0
            writer.write(line: "go")
            for try await record in pool.watch(after: start) {
                seen.append(record.seq)
                guard case .runMessage = record.payload else { continue }  // the writer's join
                messages += 1
                if messages == scenario.commits { break }
                writer.write(line: "go")
            }
            return seen
        }
        let seen = try await boundedValue(of: watching, within: .seconds(240), "every commit seen through its wake-up")
        #expect(seen == Array((start + 1)...(start + Seq(scenario.commits) + 1)), "each record once, in order, none missing")
        #expect(await writer.wait().status == 0)
        try await store.close()
    }
}
