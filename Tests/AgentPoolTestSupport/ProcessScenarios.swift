import AgentPool
import Foundation
import Testing

/// A multi-process guarantee checked with real child processes (`AgentPoolTestHelper`) on one
/// shared database; each persistent backend's tests run every scenario on its own kind of
/// database:
///
/// ```swift
/// @Test(arguments: ProcessScenarios.all)
/// func sqlite(_ scenario: ProcessScenario) async throws { try await scenario.run(on: try .sqlite()) }
/// ```
public struct ProcessScenario: Sendable, CustomStringConvertible, Identifiable {
    /// The rule, stated as a sentence in camel case (with its parameter, if any, in parentheses).
    public let name: String
    private let body: @Sendable (SharedDatabase) async throws -> Void

    /// The rule.
    public var description: String { name }
    /// The rule: a scenario is selected and re-run by it.
    public var id: String { name }

    init(_ name: String, _ body: @escaping @Sendable (SharedDatabase) async throws -> Void) {
        self.name = name
        self.body = body
    }

    /// Runs the scenario on `database` (which it opens in this process and hands to the helper
    /// processes by its location); failed expectations are recorded as issues of the running test.
    public func run(on database: SharedDatabase) async throws { try await body(database) }
}

/// Every multi-process scenario: several writer processes on one
/// database, dedupe across processes, wakes and watchers across processes, durable consumers,
/// claims and leases of processes killed with SIGKILL.
public enum ProcessScenarios {
    /// Every scenario, in the order above, but ``scheduling``, which backends run one at a time.
    public static let all: [ProcessScenario] =
        [2, 4].map { writers in
            ProcessScenario("writerProcessesAppendingAtOnceLoseNothingDuplicateNothingAndLeaveGaplessSeqs(\(writers) writers)") {
                try await writerProcessesAppendingAtOnceLoseNothingDuplicateNothingAndLeaveGaplessSeqs($0, writers: writers)
            }
        } + [
            ProcessScenario("eightProcessesSendingTheSameMessageAtOnceRecordItOnceAndAllGetTheSameReceipt",
                            eightProcessesSendingTheSameMessageAtOnceRecordItOnceAndAllGetTheSameReceipt),
            ProcessScenario("aProcessWaitingOnAWakeReturnsTriggeredWhenAnotherProcessSendsAMatchingMessage",
                            aProcessWaitingOnAWakeReturnsTriggeredWhenAnotherProcessSendsAMatchingMessage),
        ] + [-30, -5, 0, 5, 30].map { offset in
            ProcessScenario("twoProcessesRacingToTriggerAndToTimeOutAWakeLeaveExactlyOneTerminalRecord(\(offset) ms)") {
                try await twoProcessesRacingToTriggerAndToTimeOutAWakeLeaveExactlyOneTerminalRecord($0, offsetMillis: offset)
            }
        } + [
            ProcessScenario("aWatcherProcessReceivesEveryRecordOfFourConcurrentWriterProcessesInOrderExactlyOnce",
                            aWatcherProcessReceivesEveryRecordOfFourConcurrentWriterProcessesInOrderExactlyOnce),
            ProcessScenario("aDurableConsumerKilledBetweenAcksResumesWithoutSkippingAndRepeatsAtMostTheUnackedRecord",
                            aDurableConsumerKilledBetweenAcksResumesWithoutSkippingAndRepeatsAtMostTheUnackedRecord),
            ProcessScenario("aWorkerKilledWhileHoldingAClaimLosesItAndItsStaleTokenIsRefusedAfterAnotherWorkerClaims",
                            aWorkerKilledWhileHoldingAClaimLosesItAndItsStaleTokenIsRefusedAfterAnotherWorkerClaims),
            ProcessScenario("aWorkerIdleInTheClaimStreamTakesOverAKilledWorkersTaskWithinItsLeasePlusOneSecond",
                            aWorkerIdleInTheClaimStreamTakesOverAKilledWorkersTaskWithinItsLeasePlusOneSecond),
            ProcessScenario("eightProcessesClaimingAtOnceNeverHoldTheSameMessage", eightProcessesClaimingAtOnceNeverHoldTheSameMessage),
            ProcessScenario("tasksQueuedBeforeAnyWorkerExistsAreClaimedOnceEachByLaterWorkerProcessesAndAReplacement",
                            tasksQueuedBeforeAnyWorkerExistsAreClaimedOnceEachByLaterWorkerProcessesAndAReplacement),
            ProcessScenario("aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched",
                            aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched),
        ]

    /// A worker SIGKILLed while it holds a task, and another worker process idle in its claim
    /// stream: with no other traffic in the pool, the idle worker wakes when the killed worker's
    /// member lease runs out, and claims the task (token 2) within that lease plus one second.
    static func aWorkerIdleInTheClaimStreamTakesOverAKilledWorkersTaskWithinItsLeasePlusOneSecond(_ database: SharedDatabase) async throws {
        let (path, store) = (database.location, try database.open())
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "dispatcher", agentID: "d"))
        let helper = try ChildProcess.helperURL
        let successor = try ChildProcess(helper, ["stream", path, "p", "successor", "60000"])
        #expect(await successor.line { $0 == "ready" } != nil)
        let doomed = try ChildProcess(helper, ["worker", path, "p", "doomed", liveLeaseMillis])
        #expect(await doomed.line { $0 == "ready" } != nil)
        try await pool.send(Message(messageID: "task", from: "dispatcher", to: .topic("tasks"), contentRef: "work", idempotencyKey: "task"))
        doomed.release()
        guard await doomed.line(where: { $0.hasPrefix("claimed") || $0 == "none" }) == "claimed task 1" else {
            let exit = await doomed.wait()
            Issue.record("the doomed worker did not claim the task: \(exit)")
            return
        }
        // The successor enters its claim stream: the task is held, so it finds nothing and sleeps.
        successor.release()
        #expect(await successor.line { $0 == "streaming" } != nil)

        // When the successor took the task is the time its claim was granted (the store clock in
        // the successor's process; the same wall clock as this one), not when this busy test
        // process got round to reading its output.
        let killedAt = SystemClock().nowMillis()
        doomed.kill()
        _ = await doomed.wait()
        let line = await successor.line { $0.hasPrefix("claimed") || $0 == "none" }
        #expect(line == "claimed task 2")
        #expect(await successor.wait().status == 0)
        let claim = try #require(try await pool.claim("task"))
        #expect(claim.runID == "successor" && claim.token == 2 && claim.expiredCount == 1)
        let tookOver = claim.expiresAt - claim.leaseMillis - killedAt
        #expect(tookOver <= Millis(liveLeaseMillis)! + 1_000, "claimed \(tookOver) ms after the kill")
    }

    /// The member lease of the helper processes (heartbeat every quarter of it): long enough that
    /// a saturated machine never makes a live member miss its heartbeats. 4 s was not, once, with
    /// the whole suite under ThreadSanitizer on PostgreSQL; each test waits for one expiry only.
    static let liveLeaseMillis = "10000"

    /// How long a test waits for a killed member's departure (its lease, 10 s, plus a margin for a
    /// starved test process): a bound so that a broken build fails, not a timing the test asserts.
    static let departureBoundMillis: Millis = 120_000

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
    /// by a process, is refused with nothing written.
    static func aWorkerKilledWhileHoldingAClaimLosesItAndItsStaleTokenIsRefusedAfterAnotherWorkerClaims(_ database: SharedDatabase) async throws {
        let (path, store) = (database.location, try database.open())
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
        // The wake's timeout only bounds the test: 30 s was once not enough in a full CI run,
        // where the test process was starved for ~25 s between registering it and its next sweep.
        try await pool.suspendUntil(WakeCondition(
            conditionID: "gone", runID: "dispatcher", filter: EventFilter(sourceRuns: .oneOf(["doomed"]), kinds: .oneOf([.runLeft])),
            idempotencyKey: "gone", timeoutMillis: Self.departureBoundMillis))
        doomed.kill()
        _ = await doomed.wait()
        let gone = try await pool.wait("gone")
        let departures = try await pool.store.allRecords("p").filter { $0.kind == .memberLeft }.map { "\($0.seq) \($0.recordedAt) \($0.payload)" }
        #expect(gone.status == .triggered, "\(gone); departures: \(departures)")
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
    /// Queued work: tasks queued before any worker process exists are claimed once each by worker
    /// processes that join later, and the task a SIGKILLed worker held goes to its replacement, a
    /// new process under a new run id, idle in its claim stream.
    static func tasksQueuedBeforeAnyWorkerExistsAreClaimedOnceEachByLaterWorkerProcessesAndAReplacement(_ database: SharedDatabase) async throws {
        let (path, store) = (database.location, try database.open())
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "planner", agentID: "planner"))
        let tasks = (1...8).map { "task-\($0)" }
        for id in tasks {
            let receipt = try await pool.send(Message(messageID: id, from: "planner", to: .topic("tasks"),
                                                      body: .object(["id": .string(id)]), idempotencyKey: id, queued: true))
            #expect(receipt.status == .delivered && receipt.deliveredTo.isEmpty, "\(receipt)")
        }
        let helper = try ChildProcess.helperURL
        // The first worker process joins now (with a lease it heartbeats) and claims the oldest task.
        let doomed = try ChildProcess(helper, ["worker", path, "p", "doomed", liveLeaseMillis])
        #expect(await doomed.line { $0 == "ready" } != nil)
        doomed.release()
        #expect(await doomed.line { $0.hasPrefix("claimed") || $0 == "none" } == "claimed task-1 1")

        // Two more worker processes join and race for the rest while it is alive and holds task-1.
        let claimers = try ["w2", "w3"].map { try ChildProcess(helper, ["claimall", path, "p", $0]) }
        for claimer in claimers { #expect(await claimer.line { $0 == "ready" } != nil) }
        for claimer in claimers { claimer.release() }
        var holders: [String: String] = ["task-1": "doomed"]
        for (name, claimer) in zip(["w2", "w3"], claimers) {
            let result = await claimer.wait()
            #expect(result.status == 0, "\(result.stderr)")
            for claim in Self.claims(in: result.stdout) {
                #expect(holders.updateValue(name, forKey: claim.id) == nil, "\(claim.id) claimed twice")
                #expect(claim.token == 1)
            }
        }
        #expect(Set(holders.keys) == Set(tasks), "\(holders)")

        // SIGKILL mid-task. The replacement, a new run id, sleeps in its claim stream until the
        // killed worker's lease runs out, then takes its task with the next token.
        doomed.kill()
        _ = await doomed.wait()
        let replacement = try ChildProcess(helper, ["stream", path, "p", "doomed-restarted", "60000"])
        #expect(await replacement.line { $0 == "ready" } != nil)
        replacement.release()
        #expect(await replacement.line { $0.hasPrefix("claimed") || $0 == "none" } == "claimed task-1 2")
        #expect(await replacement.wait().status == 0)
        let held = try await pool.heldClaims()
        #expect(held.count == tasks.count, "\(held)")
        #expect(try await pool.claim("task-1")?.runID == "doomed-restarted")
        #expect(try await pool.members().map(\.runID) == ["doomed-restarted", "planner", "w2", "w3"])
        try await store.close()
    }

    static func eightProcessesClaimingAtOnceNeverHoldTheSameMessage(_ database: SharedDatabase) async throws {
        let (path, store) = (database.location, try database.open())
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
    static func aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched(_ database: SharedDatabase) async throws {
        let (path, store) = (database.location, try database.open())
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "observer", agentID: "o"))
        try await pool.suspendUntil(WakeCondition(
            conditionID: "observer-wake", runID: "observer", filter: EventFilter(kinds: .oneOf([])), idempotencyKey: "ow"))
        let helper = try ChildProcess.helperURL
        let survivor = try ChildProcess(helper, ["leased", path, "p", "alive", liveLeaseMillis])
        let victim = try ChildProcess(helper, ["leased", path, "p", "doomed", liveLeaseMillis])
        #expect(await survivor.line { $0 == "ready" } != nil)
        #expect(await victim.line { $0 == "ready" } != nil)

        try await pool.suspendUntil(WakeCondition(
            conditionID: "departure", runID: "observer",
            filter: EventFilter(sourceRuns: .oneOf(["doomed"]), kinds: .oneOf([.runLeft])), idempotencyKey: "departure",
            timeoutMillis: Self.departureBoundMillis), since: 0)
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

    /// The JSON value a child printed.
    static func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        try RecordCodec.decodeJSON(type, from: output.trimmingCharacters(in: .whitespacesAndNewlines), what: "child output")
    }

    /// The numbers after `prefix` on each line of `output`.
    static func numbers(after prefix: String, in output: String) -> [Seq] {
        output.split(separator: "\n").compactMap { line in
            line.hasPrefix(prefix) ? Seq(line.dropFirst(prefix.count)) : nil
        }
    }

    /// Opens pool `p` on the database with members `A` and `B`.
    static func openPoolWithTwoMembers(_ database: SharedDatabase) async throws -> PoolHandle {
        let pool = try await PoolHandle.open("p", store: try database.open())
        for run in ["A", "B"] { try await pool.join(Member(runID: run, agentID: "agent")) }
        return pool
    }

    /// `writers` processes append 250 messages each to a database none of them has created yet:
    /// every acknowledged append is present once, at the seq its writer was told; seqs are gapless;
    /// every process computes the same snapshot, equal to the replay of the log.
    static func writerProcessesAppendingAtOnceLoseNothingDuplicateNothingAndLeaveGaplessSeqs(_ database: SharedDatabase, writers: Int) async throws {
        let perWriter = 250
        let helper = try ChildProcess.helperURL

        // Every child opens the (not yet existing) database at once: creation must be race-free too.
        let children = try (0..<writers).map { try ChildProcess(helper, ["append", database.location, "p", "\($0)", "\(perWriter)"]) }
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

        let store = try database.open()
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
        let expected = try RecordCodec.encodeJSON(try PoolState.replay(poolID: "p", records: log).snapshot())
        #expect(try RecordCodec.encodeJSON(try await store.snapshot("p")) == expected)
        let readers = try (0..<writers).map { _ in try ChildProcess(helper, ["snapshot", database.location, "p"]) }
        for reader in readers {
            reader.release()
            let result = await reader.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        }
        try await store.close()
    }

    /// Eight processes sending one message under one key at once: it is recorded once
    /// (accepted + delivered) and all eight get the same receipt.
    static func eightProcessesSendingTheSameMessageAtOnceRecordItOnceAndAllGetTheSameReceipt(_ database: SharedDatabase) async throws {
        let pool = try await openPoolWithTwoMembers(database)
        let helper = try ChildProcess.helperURL
        let senders = try (0..<8).map { _ in try ChildProcess(helper, ["send", database.location, "p", "A", "B", "m1", "same-key"]) }
        for sender in senders { sender.release() }
        var receipts: [Receipt] = []
        for sender in senders {
            let result = await sender.wait()
            #expect(result.status == 0, "\(result.stderr)")
            receipts.append(try decode(Receipt.self, result.stdout))
        }
        #expect(Set(receipts).count == 1)
        #expect(receipts.first?.status == .delivered)
        // Read back through the first store and through one opened afresh.
        let fresh = try database.open()
        for store in [pool.store, fresh] {
            let messageRecords = try await store.allRecords("p").filter { $0.kind == .runMessage }
            #expect(messageRecords.count == 2)  // accepted + delivered, once
            #expect(try await store.snapshot("p").messages.count == 1)
        }
        try await fresh.close()
        try await pool.store.close()
    }

    /// A process waiting on a wake returns it triggered, at the matching cursor, when another
    /// process sends a matching message.
    static func aProcessWaitingOnAWakeReturnsTriggeredWhenAnotherProcessSendsAMatchingMessage(_ database: SharedDatabase) async throws {
        let pool = try await openPoolWithTwoMembers(database)
        try await pool.suspendUntil(WakeCondition(
            conditionID: "w", runID: "A",
            filter: EventFilter(sourceRuns: .oneOf(["B"]), kinds: .oneOf([.message(.delivered)])), idempotencyKey: "wk"))

        let helper = try ChildProcess.helperURL
        let waiter = try ChildProcess(helper, ["wait", database.location, "p", "w"])
        #expect(await waiter.line { $0.hasPrefix("waiting") } == "waiting registered")
        let sender = try ChildProcess(helper, ["send", database.location, "p", "B", "A", "m1", "k1"])
        sender.release()
        let sent = await sender.wait()
        #expect(sent.status == 0, "\(sent.stderr)")
        let receipt = try decode(Receipt.self, sent.stdout)
        #expect(receipt.status == .delivered)

        let waited = await waiter.wait()
        #expect(waited.status == 0, "\(waited.stderr)")
        let registration = try decode(Registration.self, String(waited.stdout.split(separator: "\n").last ?? ""))
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == receipt.cursor)
        try await pool.store.close()
    }

    /// A process triggering a wake and another timing it out, released `offsetMillis` around its
    /// deadline: exactly one terminal record, whichever wins.
    static func twoProcessesRacingToTriggerAndToTimeOutAWakeLeaveExactlyOneTerminalRecord(_ database: SharedDatabase, offsetMillis: Int) async throws {
        let pool = try await openPoolWithTwoMembers(database)
        let registered = try await pool.suspendUntil(WakeCondition(
            conditionID: "w", runID: "A", filter: EventFilter(kinds: .oneOf([.message(.delivered)])),
            idempotencyKey: "wk", timeoutMillis: 400))
        let deadline = try #require(registered.deadlineMillis)
        let helper = try ChildProcess.helperURL
        let trigger = try ChildProcess(helper, ["send", database.location, "p", "B", "A", "m1", "k1"])
        let timeout = try ChildProcess(helper, ["poll", database.location, "p", "w"])
        // Both start around the deadline, so either may win; the release moment is the test's
        // input, not a synchronization.
        try await SystemClock().sleep(untilMillis: deadline + Millis(offsetMillis))
        trigger.release()
        timeout.release()
        let (triggerResult, timeoutResult) = (await trigger.wait(), await timeout.wait())
        #expect(triggerResult.status == 0, "\(triggerResult.stderr)")
        #expect(timeoutResult.status == 0, "\(timeoutResult.stderr)")

        let log = try await pool.records()
        let terminal = log.filter { record in
            if case .wake(let stored) = record.payload { return stored.registration.status.isFinal }
            return false
        }
        #expect(terminal.count == 1)
        let final = try await pool.pollWake("w")
        #expect(final.status == .triggered || final.status == .timedOut)
        let polled = try decode(Registration.self, timeoutResult.stdout)
        // The poller saw the final registration or, having run before the deadline, a registered one.
        #expect(polled == final || (polled.status == .registered && offsetMillis <= 0))
        print("\(database.backend) race at deadline\(offsetMillis >= 0 ? "+" : "")\(offsetMillis) ms: \(final.status.rawValue)")
        try await pool.store.close()
    }

    /// A watcher process receives every record of four concurrent writer processes, in order,
    /// exactly once.
    static func aWatcherProcessReceivesEveryRecordOfFourConcurrentWriterProcessesInOrderExactlyOnce(_ database: SharedDatabase) async throws {
        let store = try database.open()
        try await store.openPool("p")
        let (writers, perWriter) = (4, 300)
        let total = 1 + writers + writers * perWriter  // pool_opened, a join per writer, the appends
        let helper = try ChildProcess.helperURL

        let watcher = try ChildProcess(helper, ["watch", database.location, "p", "\(total)"])
        #expect(await watcher.line { $0 == "ready" } != nil)
        let appenders = try (0..<writers).map { try ChildProcess(helper, ["append", database.location, "p", "\($0)", "\(perWriter)"]) }
        for appender in appenders { appender.release() }
        for appender in appenders {
            let result = await appender.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        let watched = await watcher.wait()
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(numbers(after: "seq ", in: watched.stdout) == Array(1...Seq(total)))
        try await store.close()
    }

    /// A durable consumer process SIGKILLed between processing a record and acking it resumes,
    /// restarted, right after its last committed ack: nothing skipped, only the unacked record repeated.
    static func aDurableConsumerKilledBetweenAcksResumesWithoutSkippingAndRepeatsAtMostTheUnackedRecord(_ database: SharedDatabase) async throws {
        let pool = try await PoolHandle.open("p", store: try database.open())
        for index in 0..<400 { try await pool.join(Member(runID: "run-\(index)", agentID: "a")) }
        let last = try #require(try await pool.snapshot().cursor)
        let helper = try ChildProcess.helperURL

        // The first run stops after processing record 151 and before acking it: killed there, it
        // leaves the at-least-once window open on exactly that record.
        let first = try ChildProcess(helper, ["consume", database.location, "p", "indexer", "\(last)", "151"])
        #expect(await first.line { $0 == "processed 151" } != nil)
        first.kill()
        let killed = await first.wait()
        #expect(killed.status != 0)
        let processedBefore = numbers(after: "processed ", in: killed.stdout)
        let ackedBefore = numbers(after: "acked ", in: killed.stdout)
        #expect(processedBefore == Array(1...151))
        #expect(ackedBefore == Array(1...150))

        let second = try ChildProcess(helper, ["consume", database.location, "p", "indexer", "\(last)"])
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
        try await pool.store.close()
    }
}
