import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// Lock contention with another process.
@Suite struct CrossProcessLockTests {
    @Test func aWriteBlockedByAnotherProcessPastTheBusyTimeoutIsBusyThenSucceedsOnceTheLockIsReleased() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.busyTimeout = .milliseconds(300)
        let pool = try await PoolHandle.open("p", store: try SQLiteStore(path: path, options: options))
        try await pool.join(Member(runID: "a", agentID: "x"))
        let before = try await pool.records()

        let holder = try ChildProcess(try ChildProcess.helperURL, ["hold", path])
        #expect(await holder.line { $0 == "locked" } != nil)
        let start = ContinuousClock.now
        let error = await agentPoolErrorOf { try await pool.join(Member(runID: "b", agentID: "x")) }
        let waited = ContinuousClock.now - start
        #expect(error?.kind == .busy)
        #expect(error?.isRetryable == true)
        #expect(waited >= .milliseconds(250))  // it waited for the lock, it did not fail at once
        #expect(try await pool.records() == before)

        holder.release()
        #expect(await holder.wait().status == 0)
        try await pool.join(Member(runID: "b", agentID: "x"))
        #expect(try await pool.members().map(\.runID) == ["a", "b"])
    }
}
