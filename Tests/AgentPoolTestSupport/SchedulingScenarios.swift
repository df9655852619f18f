import AgentPool
import Foundation
import Testing

/// Scheduling across processes: held-back tasks, priorities and dependency graphs worked by
/// several worker processes on one database, each checked from the log and the claims table
/// (never by timing).
extension ProcessScenarios {
    /// The scheduling scenarios: each starts four to six worker processes at once, so backends
    /// run them one at a time (`.serialized`) rather than beside every other scenario.
    public static let scheduling: [ProcessScenario] = [
        ProcessScenario("tasksNotBeforeAnInstantAreClaimedByNoWorkerProcessBeforeItAndByExactlyOneAfter",
                        tasksNotBeforeAnInstantAreClaimedByNoWorkerProcessBeforeItAndByExactlyOneAfter),
        ProcessScenario("fourProcessesClaimingAtOnceEachTakeTasksInPriorityOrder",
                        fourProcessesClaimingAtOnceEachTakeTasksInPriorityOrder),
        ProcessScenario("aThreeLevelGraphOfThirtyTasksWorkedByFourProcessesNeverStartsATaskBeforeItsDependencies",
                        aThreeLevelGraphOfThirtyTasksWorkedByFourProcessesNeverStartsATaskBeforeItsDependencies),
        ProcessScenario("sixProcessesClaimingAtOnceNeverHoldMoreThanTheTopicsLimitOfTwo",
                        sixProcessesClaimingAtOnceNeverHoldMoreThanTheTopicsLimitOfTwo),
    ]

    /// A queued task from the planner to topic `tasks`.
    static func scheduledTask(_ id: MessageID, notBefore: Millis? = nil, priority: Int = 0, after: [MessageID] = []) -> Message {
        Message(messageID: id, from: "planner", to: .topic("tasks"), contentRef: "c", idempotencyKey: id, queued: true,
                notBeforeMillis: notBefore, priority: priority, after: after)
    }

    /// Starts `count` `drain` workers and lets them go once each is ready.
    static func drainWorkers(_ count: Int, on database: SharedDatabase) async throws -> [ChildProcess] {
        let helper = try ChildProcess.helperURL
        let workers = try (0..<count).map { try ChildProcess(helper, ["drain", database.location, "p", "worker-\($0)"]) }
        for worker in workers { #expect(await worker.line { $0 == "ready" } != nil) }
        for worker in workers { worker.write(line: "go") }  // stdin stays open: closing it stops the worker
        return workers
    }

    /// Waits (bounded) until `count` messages were responded after `cursor`, then stops the
    /// workers and returns, per worker, the ids it claimed in its order, checking that each
    /// worker completed every task it claimed.
    static func finish(_ workers: [ChildProcess], pool: PoolHandle, responded count: Int, since cursor: Seq) async throws -> [[MessageID]] {
        var seen = 0, after = cursor
        while seen < count {
            guard let event = try await pool.next(matching: EventFilter(kinds: .oneOf([.message(.responded)])), since: after,
                                                  timeoutMillis: 120_000) else {
                Issue.record("only \(seen) of \(count) tasks were responded within 120 s")
                break
            }
            after = event.cursor
            seen += 1
        }
        var claimed: [[MessageID]] = []
        for worker in workers {
            worker.closeInput()
            let result = await worker.wait()
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            let ids = lines.compactMap { $0.hasPrefix("claimed ") ? String($0.split(separator: " ")[1]) : nil }
            let done = lines.compactMap { $0.hasPrefix("done ") ? String($0.dropFirst(5)) : nil }
            #expect(done == ids, "a worker completes every task it claims")
            claimed.append(ids)
        }
        return claimed
    }

    /// Every id of `expected` claimed by exactly one worker.
    static func expectClaimedOnceEach(_ claimed: [[MessageID]], _ expected: [MessageID]) {
        var holders: [MessageID: Int] = [:]
        for (worker, ids) in claimed.enumerated() {
            for id in ids { #expect(holders.updateValue(worker, forKey: id) == nil, "\(id) claimed twice") }
        }
        #expect(Set(holders.keys) == Set(expected))
    }

    static func tasksNotBeforeAnInstantAreClaimedByNoWorkerProcessBeforeItAndByExactlyOneAfter(_ database: SharedDatabase) async throws {
        let store = try database.open()
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "planner", agentID: "planner"))
        let workers = try await drainWorkers(4, on: database)
        let start = try await pool.snapshot().cursor ?? 0
        var due: [MessageID: Millis] = [:], heldBack = 0
        for index in 0..<8 {
            let id = "later-\(index)"
            // Due 1.5 s after it is sent (+ up to 0.7 s): on a starved machine a send can come
            // later than that, and is then delivered at once, which the checks below allow.
            due[id] = store.clock.nowMillis() + 1_500 + Millis(index) * 100
            if try await pool.send(scheduledTask(id, notBefore: due[id])).status == .accepted { heldBack += 1 }
        }
        #expect(heldBack > 0, "no task was held back: the scenario proved nothing")
        try await pool.send(scheduledTask("now"))
        let claimed = try await finish(workers, pool: pool, responded: 9, since: start)
        expectClaimedOnceEach(claimed, Array(due.keys) + ["now"])
        // From the claims table: one claim each, granted (expires_at − lease) no earlier than due.
        for (id, notBefore) in due {
            let claim = try #require(try await pool.claim(id))
            #expect(claim.token == 1 && claim.status == .done, "\(id): \(claim)")
            #expect(claim.expiresAt - claim.leaseMillis >= notBefore, "\(id) claimed before its time")
        }
        // From the log: each delivered (made claimable) once, at or after its time.
        var delivered: [MessageID: [Millis]] = [:]
        for record in try await store.allRecords("p") {
            if case .runMessage(let stored) = record.payload, stored.receipt.status == .delivered, stored.receipt.respondedBy.isEmpty {
                delivered[stored.message.messageID, default: []].append(record.recordedAt)
            }
        }
        for (id, notBefore) in due {
            #expect(delivered[id]?.count == 1, "\(id) delivered once")
            #expect((delivered[id]?.first ?? .min) >= notBefore, "\(id) delivered before its time")
        }
        try await store.close()
    }

    static func fourProcessesClaimingAtOnceEachTakeTasksInPriorityOrder(_ database: SharedDatabase) async throws {
        let store = try database.open()
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "planner", agentID: "planner"))
        var priorities: [MessageID: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for index in 0..<80 {
            let id = "t\(index)"
            priorities[id] = Int.random(in: -3...3, using: &rng)
            try await pool.send(scheduledTask(id, priority: priorities[id]!))
        }
        let helper = try ChildProcess.helperURL
        let claimers = try (0..<4).map { try ChildProcess(helper, ["claimall", database.location, "p", "claimer-\($0)"]) }
        for claimer in claimers { #expect(await claimer.line { $0 == "ready" } != nil) }
        for claimer in claimers { claimer.release() }
        var claimed: [[MessageID]] = []
        for claimer in claimers {
            let result = await claimer.wait()
            #expect(result.status == 0, "\(result.stderr)")
            claimed.append(Self.claims(in: result.stdout).map(\.id))
        }
        expectClaimedOnceEach(claimed, Array(priorities.keys))
        #expect(claimed.filter { !$0.isEmpty }.count > 1, "only one process ever claimed: the race was not exercised")
        // Nothing is added while they claim, so each claim takes the highest priority left:
        // within one process, never a higher priority after a lower one; equal ones oldest first.
        for ids in claimed {
            for (earlier, later) in zip(ids, ids.dropFirst()) {
                let (a, b) = (priorities[earlier]!, priorities[later]!)
                #expect(a > b || (a == b && Int(earlier.dropFirst())! < Int(later.dropFirst())!),
                        "\(earlier) (priority \(a)) claimed before \(later) (priority \(b))")
            }
        }
        try await store.close()
    }

    static func aThreeLevelGraphOfThirtyTasksWorkedByFourProcessesNeverStartsATaskBeforeItsDependencies(_ database: SharedDatabase) async throws {
        let store = try database.open()
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "planner", agentID: "planner"))
        // Level 0: g0…g9; level 1: g10…g19, each after two of level 0; level 2: g20…g29, each
        // after three of level 1 (each level sent in reverse, so the queue's own order would be wrong).
        var dependencies: [MessageID: [MessageID]] = [:]
        for index in 0..<10 {
            dependencies["g\(10 + index)"] = ["g\(index)", "g\((index + 3) % 10)"]
            dependencies["g\(20 + index)"] = ["g\(10 + index)", "g\(10 + (index + 1) % 10)", "g\(10 + (index + 5) % 10)"]
        }
        let start = try await pool.snapshot().cursor ?? 0
        for index in (0..<10).reversed() { try await pool.send(scheduledTask("g\(index)")) }
        for index in Array((10..<20).reversed()) + Array((20..<30).reversed()) {
            let receipt = try await pool.send(scheduledTask("g\(index)", after: dependencies["g\(index)"]!))
            #expect(receipt.status == .accepted && !receipt.waitingFor.isEmpty)
        }
        let workers = try await drainWorkers(4, on: database)
        let claimed = try await finish(workers, pool: pool, responded: 30, since: start)
        expectClaimedOnceEach(claimed, (0..<30).map { "g\($0)" })
        // From the log: every task made claimable (delivered) only after each of its dependencies
        // was responded, and responded exactly once.
        var deliveredAt: [MessageID: Seq] = [:], respondedAt: [MessageID: [Seq]] = [:]
        for record in try await store.allRecords("p") {
            guard case .runMessage(let stored) = record.payload else { continue }
            let id = stored.message.messageID
            switch stored.receipt.status {
            case .delivered where deliveredAt[id] == nil: deliveredAt[id] = record.seq
            case .responded: respondedAt[id, default: []].append(record.seq)
            default: break
            }
        }
        for index in 0..<30 {
            let id = "g\(index)"
            #expect(respondedAt[id]?.count == 1, "\(id) completed once")
            for dependency in dependencies[id] ?? [] {
                #expect((deliveredAt[id] ?? 0) > (respondedAt[dependency]?.first ?? .max), "\(id) claimable before \(dependency) was done")
            }
            let claim = try #require(try await pool.claim(id))
            #expect(claim.token == 1 && claim.status == .done, "\(id): \(claim)")
        }
        try await store.close()
    }

    /// Six processes claim all they can at once, two rounds, on a topic limited to two live
    /// claims: each round exactly two claims are granted (none lost to the race, none beyond the
    /// limit), as the claims table shows; completing them frees the slots for the next round.
    static func sixProcessesClaimingAtOnceNeverHoldMoreThanTheTopicsLimitOfTwo(_ database: SharedDatabase) async throws {
        let store = try database.open()
        let pool = try await PoolHandle.open("p", config: PoolConfig(claimLimits: ["topic:tasks": 2]), store: store)
        try await pool.join(Member(runID: "planner", agentID: "planner"))
        for index in 0..<10 { try await pool.send(scheduledTask("t\(index)")) }
        let helper = try ChildProcess.helperURL
        var completed: Set<MessageID> = []
        for round in 0..<2 {
            let claimers = try (0..<6).map { try ChildProcess(helper, ["claimall", database.location, "p", "r\(round)-c\($0)"]) }
            for claimer in claimers { #expect(await claimer.line { $0 == "ready" } != nil) }
            for claimer in claimers { claimer.release() }
            var granted: [(run: RunID, id: MessageID, token: Int64)] = []
            for (index, claimer) in claimers.enumerated() {
                let result = await claimer.wait()
                #expect(result.status == 0, "\(result.stderr)")
                granted += Self.claims(in: result.stdout).map { ("r\(round)-c\(index)", $0.id, $0.token) }
            }
            #expect(granted.count == 2, "round \(round): \(granted)")
            let held = try await pool.heldClaims()
            #expect(held.count == 2, "round \(round): the claims table holds \(held)")
            #expect(Set(held.map(\.messageID)) == Set(granted.map(\.id)))
            for claim in granted {
                #expect(!completed.contains(claim.id), "\(claim.id) claimed again after it was completed")
                _ = try await pool.complete(claim.id, run: claim.run, token: claim.token)
                completed.insert(claim.id)
            }
        }
        #expect(completed.count == 4)
        #expect(try await pool.heldClaims().isEmpty)
        try await store.close()
    }
}
