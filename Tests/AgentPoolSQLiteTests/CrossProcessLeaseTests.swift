import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Leases across real processes (SPEC §15).
@Suite struct CrossProcessLeaseTests {
    @Test func aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let pool = try await PoolHandle.open("p", store: try SQLiteStore(path: path, options: quietOptions()))
        try await pool.join(Member(runID: "observer", agentID: "o"))
        try await pool.suspendUntil(WakeCondition(
            conditionID: "observer-wake", runID: "observer", filter: EventFilter(kinds: .oneOf(["never"])), idempotencyKey: "ow"))
        let helper = try ChildProcess.helperURL
        // Leases long enough that a loaded machine (the suite and builds in parallel) never makes a
        // live member miss its heartbeats; the test waits for one expiry only.
        let survivor = try ChildProcess(helper, ["leased", path, "p", "alive", "4000"])
        let victim = try ChildProcess(helper, ["leased", path, "p", "doomed", "4000"])
        #expect(await survivor.line { $0 == "ready" } != nil)
        #expect(await victim.line { $0 == "ready" } != nil)

        try await pool.suspendUntil(WakeCondition(
            conditionID: "departure", runID: "observer",
            filter: EventFilter(sourceRuns: .oneOf(["doomed"]), kinds: .oneOf([PoolEvent.Kind.runLeft])), idempotencyKey: "departure",
            timeoutMillis: 30_000), since: 0)
        victim.kill()
        _ = await victim.wait()
        // This waiter itself records the expiry when the lease runs out (no other write is needed).
        let departure = try await pool.wait("departure")
        #expect(departure.status == .triggered)

        let snapshot = try await pool.snapshot()
        #expect(snapshot.members.map(\.runID) == ["alive", "observer"])
        let status = { (id: ConditionID) in snapshot.wakes.first { $0.condition.conditionID == id }?.registration.status }
        #expect(status("wake-doomed") == .cancelled)
        #expect(status("wake-alive") == .registered)
        #expect(status("observer-wake") == .registered)
        survivor.kill()
        _ = await survivor.wait()
    }
}
