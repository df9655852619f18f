import AgentPool
import AgentPoolTestSupport
import Testing

/// Wake conditions: registration, triggering in the same transaction, `since`, timeouts,
/// cancellation and `wait` (SPEC §8).
@Suite struct WakeTests {
    typealias F = CoordinatorFixture

    static let members = [F.member("a"), F.member("b"), F.member("c")]

    @Test(arguments: StoreHarness.all)
    func aMatchingRecordTriggersTheWakeInItsOwnTransaction(_ harness: StoreHarness) async throws {
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

    @Test(arguments: StoreHarness.all)
    func joinsLeavesAndTopicsAreEventsToo(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("joined", run: "a", kinds: [PoolEvent.Kind.runJoined], from: ["d"]))
        try await fixture.pool.suspendUntil(F.wake("left", run: "a", kinds: [PoolEvent.Kind.runLeft]))
        try await fixture.pool.join(F.member("d"))
        let joinedAt = try await fixture.log().last { $0.kind == .memberJoined }?.seq
        #expect(try await fixture.pool.pollWake("joined").matchingCursor == joinedAt)
        #expect(try await fixture.pool.pollWake("left").status == .registered)
        try await fixture.pool.leave("c")
        #expect(try await fixture.pool.pollWake("left").status == .triggered)
    }

    @Test(arguments: StoreHarness.all)
    func sinceTriggersAtOnceOnAMatchingEventAlreadyAfterTheCursor(_ harness: StoreHarness) async throws {
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

    @Test(arguments: StoreHarness.all)
    func aZeroTimeoutTimesOutAtOnce(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let count = try await fixture.logCount()
        let registration = try await fixture.pool.suspendUntil(F.wake("w", run: "a", timeout: 0))
        #expect(registration.status == .timedOut)
        #expect(try await fixture.logCount() == count + 2)
    }

    @Test(arguments: StoreHarness.all)
    func anOverdueWakeTimesOutOnTheNextWriteToItsPool(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let registered = try await fixture.pool.suspendUntil(F.wake("w", run: "a", kinds: [delivered], timeout: 500))
        #expect(registered.deadlineMillis == fixture.clock.nowMillis() + 500)
        fixture.clock.advance(by: 500)
        // The sweep runs before the send, so the overdue wake times out instead of triggering.
        try await fixture.pool.send(F.message("m", from: "b", to: .run("c")))
        let wake = try await fixture.context.store.wake("pool", id: "w")
        #expect(wake?.registration.status == .timedOut)
    }

    @Test(arguments: StoreHarness.all)
    func cancellingATriggeredWakeReturnsItAndWritesNothing(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered]))
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let triggered = try await fixture.pool.pollWake("w")
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.cancelWake("w") == triggered)
        #expect(try await fixture.logCount() == count)
    }

    @Test(arguments: StoreHarness.all)
    func cancellingARegisteredWakeCancelsIt(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b"))
        #expect(try await fixture.pool.cancelWake("w").status == .cancelled)
        // A cancelled wake is final: a matching record does not trigger it.
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        #expect(try await fixture.pool.pollWake("w").status == .cancelled)
        #expect(await thrownError { _ = try await fixture.pool.cancelWake("nope") }?.kind == .notFound)
    }

    @Test(arguments: StoreHarness.all)
    func registeringTheSameConditionAgainIsDedupedAndAnotherUnderItsKeyConflicts(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let condition = F.wake("w", run: "b", kinds: [delivered], key: "k")
        let first = try await fixture.pool.suspendUntil(condition)
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.suspendUntil(condition) == first)
        #expect(try await fixture.logCount() == count)
        let otherCondition = await thrownError { _ = try await fixture.pool.suspendUntil(F.wake("w2", run: "b", key: "k")) }
        #expect(otherCondition?.kind == .idempotencyConflict)
        let reusedID = await thrownError { _ = try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], key: "k2")) }
        #expect(reusedID?.kind == .idempotencyConflict)
        #expect(try await fixture.logCount() == count)
    }

    @Test(arguments: StoreHarness.all)
    func aNonMemberWaiterIsNotMemberAndNothingIsWritten(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let count = try await fixture.logCount()
        let error = await thrownError { _ = try await fixture.pool.suspendUntil(F.wake("w", run: "stranger")) }
        #expect(error?.kind == .notMember)
        #expect(try await fixture.logCount() == count)
    }

    @Test(arguments: StoreHarness.all)
    func aWakeSeesOnlyRunsHoldingThePoolsPolicyRefs(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, config: PoolConfig(policyRefs: ["trusted"]),
                                       members: [F.member("a", refs: ["trusted"]), F.member("b"), F.member("c", refs: ["trusted"])])
        try await fixture.pool.suspendUntil(F.wake("w", run: "c", kinds: [delivered]))
        try await fixture.pool.send(F.message("m1", from: "b", to: .run("c")))
        #expect(try await fixture.pool.pollWake("w").status == .registered)
        try await fixture.pool.send(F.message("m2", from: "a", to: .run("c")))
        #expect(try await fixture.pool.pollWake("w").status == .triggered)
    }

    @Test(arguments: StoreHarness.all)
    func waitReturnsWhenAnotherTaskTriggersTheWake(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], from: ["a"]))
        let store = fixture.context.store
        async let waited = fixture.pool.wait("w")
        // Send only once the waiter is parked on the change signal.
        while store.changes.waiterCount == 0 { await Task.yield() }
        let receipt = try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let registration = try await waited
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == receipt.cursor)
    }

    @Test(arguments: StoreHarness.all)
    func waitTimesTheWakeOutItselfWhenTheDeadlinePassesWithNoOtherActivity(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", timeout: 1_000))
        async let waited = fixture.pool.wait("w")
        while fixture.clock.sleeperCount == 0 { await Task.yield() }
        let count = try await fixture.logCount()
        fixture.clock.advance(by: 1_000)
        let registration = try await waited
        #expect(registration.status == .timedOut)
        #expect(try await fixture.logCount() == count + 1)
    }

    @Test(arguments: StoreHarness.all)
    func aWaiterRecordsAResponseTimeoutAtItsDeadlineSoThatAWakeOnItTriggers(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b"), timeout: 700))
        try await fixture.pool.suspendUntil(F.wake("w", run: "a", kinds: [PoolEvent.Kind.message(.timedOut)], messages: ["m"]))
        async let waited = fixture.pool.wait("w")
        while fixture.clock.sleeperCount == 0 { await Task.yield() }
        fixture.clock.advance(by: 700)
        let registration = try await waited
        #expect(registration.status == .triggered)
        #expect(try await fixture.pool.receipt("m").status == .timedOut)
    }

    @Test(arguments: StoreHarness.all)
    func cancellingTheWaitingTaskEndsWaitPromptly(_ harness: StoreHarness) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.suspendUntil(F.wake("w", run: "b"))
        let task = Task { try await fixture.pool.wait("w") }
        while fixture.context.store.changes.waiterCount == 0 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(fixture.context.store.changes.waiterCount == 0)
    }
}
