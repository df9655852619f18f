import AgentPool
import Foundation
import Testing

/// The cross-process lease and claim scenarios of SPEC §15, run by every persistent backend's tests with
/// real child processes (`AgentPoolTestHelper`) on one database: a file path or a postgres:// URL.
public enum OperationsProcessScenarios {
    /// The member lease of the helper processes (heartbeat every quarter of it): long enough that
    /// a saturated machine never makes a live member miss its heartbeats. 4 s was not, once, with
    /// the whole suite under ThreadSanitizer on PostgreSQL; each test waits for one expiry only.
    static let liveLeaseMillis = "10000"

    /// `claimed <id> <token>` lines of a child's output, as (id, token).
    static func claims(in output: String) -> [(id: String, token: Int64)] {
        output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "claimed", let token = Int64(parts[2]) else { return nil }
            return (String(parts[1]), token)
        }
    }

    /// (a) A worker SIGKILLed while holding a claim loses it when its member lease runs out;
    /// another process claims the message with a higher token; the dead worker's token, replayed
    /// by a process, is refused with nothing written. `store` is opened on `location`.
    public static func killedWorkerLosesItsClaim(location path: String, store: any PoolStore) async throws {
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "dispatcher", agentID: "d"))
        let helper = try ChildProcess.helperURL

        let doomed = try ChildProcess(helper, ["worker", path, "p", "doomed", liveLeaseMillis])
        #expect(await doomed.line { $0 == "ready" } != nil)
        try await pool.join(Member(runID: "successor", agentID: "worker", topics: ["tasks"]))
        try await pool.send(Message(messageID: "task", from: "dispatcher", to: .topic("tasks"), contentRef: "work", idempotencyKey: "task"))
        doomed.release()
        let claimedLine = await doomed.line { $0.hasPrefix("claimed") || $0 == "none" }
        guard claimedLine == "claimed task 1" else {
            let exit = await doomed.wait()
            let log = try await pool.store.allRecords("p").map { "\($0.seq) \($0.kind.rawValue) \($0.recordedAt)" }
            Issue.record("the worker did not claim the task: status \(exit.status), stdout \(exit.stdout), stderr \(exit.stderr), log \(log)")
            return
        }

        // SIGKILL mid-task: no release, no reply. Its member lease runs out; this waiter records it.
        try await pool.suspendUntil(WakeCondition(
            conditionID: "gone", runID: "dispatcher", filter: EventFilter(sourceRuns: .oneOf(["doomed"]), kinds: .oneOf([PoolEvent.Kind.runLeft])),
            idempotencyKey: "gone", timeoutMillis: 30_000))
        doomed.kill()
        _ = await doomed.wait()
        #expect(try await pool.wait("gone").status == .triggered)
        let expired = try #require(try await pool.claim("task"))
        #expect(expired.status == .open && expired.expiredCount == 1)

        // Another process claims it with a higher token.
        let successor = try ChildProcess(helper, ["claimall", path, "p", "successor"])
        #expect(await successor.line { $0 == "ready" } != nil)
        successor.release()
        let result = await successor.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.claims(in: result.stdout).map(\.id) == ["task"])
        #expect(Self.claims(in: result.stdout).map(\.token) == [2])

        // The killed worker's late completion, replayed with its old token by a process: refused, nothing written.
        let before = try await pool.store.allRecords("p")
        let late = try ChildProcess(helper, ["complete", path, "p", "doomed", "task", "1"])
        let refused = await late.wait()
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("error: staleClaim"))
        #expect(try await pool.store.allRecords("p") == before)
        #expect(try await pool.receipt("task").status == .delivered)
        // The successor's token is accepted.
        let done = try ChildProcess(helper, ["complete", path, "p", "successor", "task", "2"])
        #expect(await done.wait().status == 0)
        #expect(try await pool.receipt("task").status == .responded)
        try await pool.store.close()
    }

    /// (b) Eight processes calling `claimNext` on one pool at once never hold the same message.
    public static func eightProcessesNeverShareAMessage(location path: String, store: any PoolStore) async throws {
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "dispatcher", agentID: "d"))
        let helper = try ChildProcess.helperURL
        let claimers = try (0..<8).map { try ChildProcess(helper, ["claimall", path, "p", "claimer-\($0)"]) }
        for claimer in claimers { #expect(await claimer.line { $0 == "ready" } != nil) }
        let tasks = 120
        for index in 0..<tasks {
            try await pool.send(Message(messageID: "t\(index)", from: "dispatcher", to: .topic("tasks"), contentRef: "c", idempotencyKey: "t\(index)"))
        }
        for claimer in claimers { claimer.release() }
        var holders: [String: Int] = [:]
        for (index, claimer) in claimers.enumerated() {
            let result = await claimer.wait()
            #expect(result.status == 0, "\(result.stderr)")
            for claim in Self.claims(in: result.stdout) {
                #expect(holders.updateValue(index, forKey: claim.id) == nil, "\(claim.id) claimed twice")
                #expect(claim.token == 1)
            }
        }
        #expect(holders.count == tasks)
        #expect(Set(holders.values).count > 1, "only one process ever claimed: the race was not exercised")
        let held = try await pool.heldClaims()
        #expect(held.count == tasks)
        #expect(Dictionary(uniqueKeysWithValues: held.map { ($0.messageID, $0.runID) })
                == holders.mapValues { "claimer-\($0)" })
        try await store.close()
    }

    /// (c) A leased member process SIGKILLed stops heartbeating: a waiting process removes it
    /// and cancels its wakes when its lease runs out, touching no other process's state.
    public static func killedLeasedMemberIsRemoved(location path: String, store: any PoolStore) async throws {
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "observer", agentID: "o"))
        try await pool.suspendUntil(WakeCondition(
            conditionID: "observer-wake", runID: "observer", filter: EventFilter(kinds: .oneOf(["never"])), idempotencyKey: "ow"))
        let helper = try ChildProcess.helperURL
        let survivor = try ChildProcess(helper, ["leased", path, "p", "alive", liveLeaseMillis])
        let victim = try ChildProcess(helper, ["leased", path, "p", "doomed", liveLeaseMillis])
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
