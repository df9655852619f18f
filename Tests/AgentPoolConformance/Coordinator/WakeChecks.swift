import AgentPool
import Testing

/// Wake conditions: registration, triggering in the same transaction, `since`, timeouts,
/// cancellation and `wait`.
enum WakeChecks {
    typealias F = CoordinatorFixture

    static let members = [F.member("a"), F.member("b"), F.member("c")]

    static func aMatchingRecordTriggersTheWakeInItsOwnTransaction(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let registered = try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], from: ["a"]))
        #expect(registered.status == .registered)
        // Not matching: the wrong sender.
        try await fixture.pool.send(F.message("m0", from: "c", to: .run("b")))
        #expect(try await fixture.pool.pollWake("w").status == .registered)

        let receipt = try await fixture.pool.send(F.message("m1", from: "a", to: .run("b")))
        let triggered = try await fixture.pool.pollWake("w")
        #expect(triggered.status == .triggered)
        #expect(triggered.matchingCursor == receipt.cursor)
        let log = try await fixture.log()
        #expect(log.last?.kind == .wake)
        #expect(log.last?.seq == (receipt.cursor ?? 0) + 1)
    }

    static func joinsLeavesAndTopicsAreEventsToo(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("joined", run: "a", kinds: [.runJoined], from: ["d"]))
        try await fixture.pool.suspendUntil(F.wake("left", run: "a", kinds: [.runLeft]))
        try await fixture.pool.join(F.member("d"))
        let joinedAt = try await fixture.log().last { $0.kind == .memberJoined }?.seq
        #expect(try await fixture.pool.pollWake("joined").matchingCursor == joinedAt)
        #expect(try await fixture.pool.pollWake("left").status == .registered)
        try await fixture.pool.leave("c")
        #expect(try await fixture.pool.pollWake("left").status == .triggered)
    }

    static func sinceTriggersAtOnceOnAMatchingEventAlreadyAfterTheCursor(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let before = try await fixture.pool.snapshot().cursor ?? 0
        let sent = try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let caughtUp = try await fixture.pool.suspendUntil(F.wake("w1", run: "b", kinds: [delivered], from: ["a"]), since: before)
        #expect(caughtUp.status == .triggered)
        #expect(caughtUp.matchingCursor == sent.cursor)
        let fresh = try await fixture.pool.suspendUntil(F.wake("w2", run: "b", kinds: [delivered], from: ["a"]), since: sent.cursor)
        #expect(fresh.status == .registered)
        let unbounded = try await fixture.pool.suspendUntil(F.wake("w3", run: "b", kinds: [delivered], from: ["a"]))
        #expect(unbounded.status == .registered)
    }

    static func aZeroTimeoutTimesOutAtOnce(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let count = try await fixture.logCount()
        let registration = try await fixture.pool.suspendUntil(F.wake("w", run: "a", timeout: 0))
        #expect(registration.status == .timedOut)
        #expect(try await fixture.logCount() == count + 2)
    }

    static func anOverdueWakeTimesOutOnTheNextWriteToItsPool(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let registered = try await fixture.pool.suspendUntil(F.wake("w", run: "a", kinds: [delivered], timeout: 500))
        #expect(registered.deadlineMillis == fixture.clock.nowMillis() + 500)
        fixture.clock.advance(by: 500)
        // The sweep runs before the send, so the overdue wake times out instead of triggering.
        try await fixture.pool.send(F.message("m", from: "b", to: .run("c")))
        let wake = try await fixture.context.store.wake("pool", id: "w")
        #expect(wake?.registration.status == .timedOut)
    }

    static func cancellingATriggeredWakeReturnsItAndWritesNothing(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered]))
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let triggered = try await fixture.pool.pollWake("w")
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.cancelWake("w") == triggered)
        #expect(try await fixture.logCount() == count)
    }

    static func cancellingARegisteredWakeCancelsIt(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b"))
        #expect(try await fixture.pool.cancelWake("w").status == .cancelled)
        // A cancelled wake is final: a matching record does not trigger it.
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        #expect(try await fixture.pool.pollWake("w").status == .cancelled)
        #expect(await agentPoolError { _ = try await fixture.pool.cancelWake("nope") }?.kind == .notFound)
    }

    static func registeringTheSameConditionAgainIsDedupedAndAnotherUnderItsKeyConflicts(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let condition = F.wake("w", run: "b", kinds: [delivered], key: "k")
        let first = try await fixture.pool.suspendUntil(condition)
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.suspendUntil(condition) == first)
        #expect(try await fixture.logCount() == count)
        let otherCondition = await agentPoolError { _ = try await fixture.pool.suspendUntil(F.wake("w2", run: "b", key: "k")) }
        #expect(otherCondition?.kind == .idempotencyConflict)
        let reusedID = await agentPoolError { _ = try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], key: "k2")) }
        #expect(reusedID?.kind == .idempotencyConflict)
        #expect(try await fixture.logCount() == count)
    }

    static func aNonMemberWaiterIsNotMemberAndNothingIsWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let count = try await fixture.logCount()
        let error = await agentPoolError { _ = try await fixture.pool.suspendUntil(F.wake("w", run: "stranger")) }
        #expect(error?.kind == .notMember)
        #expect(try await fixture.logCount() == count)
    }

    static func aWakeSeesOnlyRunsHoldingThePoolsPolicyRefs(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, config: PoolConfig(policyRefs: ["trusted"]),
                                       members: [F.member("a", refs: ["trusted"]), F.member("b"), F.member("c", refs: ["trusted"])])
        try await fixture.pool.suspendUntil(F.wake("w", run: "c", kinds: [delivered]))
        try await fixture.pool.send(F.message("m1", from: "b", to: .run("c")))
        #expect(try await fixture.pool.pollWake("w").status == .registered)
        try await fixture.pool.send(F.message("m2", from: "a", to: .run("c")))
        #expect(try await fixture.pool.pollWake("w").status == .triggered)
    }

    static func waitReturnsWhenAnotherTaskTriggersTheWake(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], from: ["a"]))
        let store = fixture.context.store
        async let waited = fixture.pool.wait("w")
        // Send only once the waiter is parked on the change signal.
        try await eventually("a watcher or waiter parked on the change signal") { store.changes.waiterCount > 0 }
        let receipt = try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let registration = try await waited
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == receipt.cursor)
    }

    static func waitTimesTheWakeOutItselfWhenTheDeadlinePassesWithNoOtherActivity(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", timeout: 1_000))
        async let waited = fixture.pool.wait("w")
        try await eventually("a waiter sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        let count = try await fixture.logCount()
        fixture.clock.advance(by: 1_000)
        let registration = try await waited
        #expect(registration.status == .timedOut)
        #expect(try await fixture.logCount() == count + 1)
    }

    static func aWaiterRecordsAResponseTimeoutAtItsDeadlineSoThatAWakeOnItTriggers(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b"), timeout: 700))
        try await fixture.pool.suspendUntil(F.wake("w", run: "a", kinds: [.message(.timedOut)], messages: ["m"]))
        async let waited = fixture.pool.wait("w")
        try await eventually("a waiter sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 700)
        let registration = try await waited
        #expect(registration.status == .triggered)
        #expect(try await fixture.pool.receipt("m").status == .timedOut)
    }

    static func cancellingTheWaitingTaskEndsWaitPromptly(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b"))
        let task = Task { try await fixture.pool.wait("w") }
        try await eventually("a watcher or waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(fixture.context.store.changes.waiterCount == 0)
    }
}

extension Conformance {
    static let wake: [ConformanceCheck] = [
        ConformanceCheck("Wake", "aMatchingRecordTriggersTheWakeInItsOwnTransaction", WakeChecks.aMatchingRecordTriggersTheWakeInItsOwnTransaction),
        ConformanceCheck("Wake", "joinsLeavesAndTopicsAreEventsToo", WakeChecks.joinsLeavesAndTopicsAreEventsToo),
        ConformanceCheck("Wake", "sinceTriggersAtOnceOnAMatchingEventAlreadyAfterTheCursor", WakeChecks.sinceTriggersAtOnceOnAMatchingEventAlreadyAfterTheCursor),
        ConformanceCheck("Wake", "aZeroTimeoutTimesOutAtOnce", WakeChecks.aZeroTimeoutTimesOutAtOnce),
        ConformanceCheck("Wake", "anOverdueWakeTimesOutOnTheNextWriteToItsPool", WakeChecks.anOverdueWakeTimesOutOnTheNextWriteToItsPool),
        ConformanceCheck("Wake", "cancellingATriggeredWakeReturnsItAndWritesNothing", WakeChecks.cancellingATriggeredWakeReturnsItAndWritesNothing),
        ConformanceCheck("Wake", "cancellingARegisteredWakeCancelsIt", WakeChecks.cancellingARegisteredWakeCancelsIt),
        ConformanceCheck("Wake", "registeringTheSameConditionAgainIsDedupedAndAnotherUnderItsKeyConflicts", WakeChecks.registeringTheSameConditionAgainIsDedupedAndAnotherUnderItsKeyConflicts),
        ConformanceCheck("Wake", "aNonMemberWaiterIsNotMemberAndNothingIsWritten", WakeChecks.aNonMemberWaiterIsNotMemberAndNothingIsWritten),
        ConformanceCheck("Wake", "aWakeSeesOnlyRunsHoldingThePoolsPolicyRefs", WakeChecks.aWakeSeesOnlyRunsHoldingThePoolsPolicyRefs),
        ConformanceCheck("Wake", "waitReturnsWhenAnotherTaskTriggersTheWake", WakeChecks.waitReturnsWhenAnotherTaskTriggersTheWake),
        ConformanceCheck("Wake", "waitTimesTheWakeOutItselfWhenTheDeadlinePassesWithNoOtherActivity", WakeChecks.waitTimesTheWakeOutItselfWhenTheDeadlinePassesWithNoOtherActivity),
        ConformanceCheck("Wake", "aWaiterRecordsAResponseTimeoutAtItsDeadlineSoThatAWakeOnItTriggers", WakeChecks.aWaiterRecordsAResponseTimeoutAtItsDeadlineSoThatAWakeOnItTriggers),
        ConformanceCheck("Wake", "cancellingTheWaitingTaskEndsWaitPromptly", WakeChecks.cancellingTheWaitingTaskEndsWaitPromptly),
    ]
}
