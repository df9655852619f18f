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

    /// Issue 19: a process killed (SIGKILL) while it holds the write lock, in the middle of a
    /// store write, blocks nobody: a writer of another process already waiting for it goes on
    /// within the busy timeout, the killed write is not there, and the next holder and a writer
    /// behind it work as before.
    @Test func aWriterKilledWhileHoldingTheWriteLockLetsTheWaitingWriterOfAnotherProcessGoOn() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let options = quietOptions()  // the default busy timeout: 5 s
        let pool = try await PoolHandle.open("p", store: try SQLiteStore(path: path, options: options))
        try await pool.join(Member(runID: "a", agentID: "x"))

        let holder = try ChildProcess(try ChildProcess.helperURL, ["holdwrite", path, "p", "killed"])
        #expect(await holder.line { $0 == "holding" } != nil)
        let waiting = Task { try await pool.join(Member(runID: "b", agentID: "x")) }
        holder.kill()
        _ = await holder.wait()
        // Within the busy timeout: a write that waited longer for the lock fails with `busy`
        // (the test above), so its success is the bound. Not timed here: a loaded machine can
        // hold this test's own tasks back for longer than that without any lock involved.
        _ = try await boundedValue(of: waiting, "the write waiting behind the killed holder")
        #expect(try await pool.members().map(\.runID) == ["a", "b"], "the killed holder's write is not there")

        let next = try ChildProcess(try ChildProcess.helperURL, ["holdwrite", path, "p", "next"])
        #expect(await next.line { $0 == "holding" } != nil)
        let behind = Task { try await pool.join(Member(runID: "c", agentID: "x")) }
        next.release()
        #expect(await next.line { $0 == "committed" } != nil)
        _ = try await boundedValue(of: behind, "the write waiting behind the next holder")
        #expect(await next.wait().status == 0)
        #expect(try await pool.members().map(\.runID) == ["a", "b", "c", "next"])
    }
}
