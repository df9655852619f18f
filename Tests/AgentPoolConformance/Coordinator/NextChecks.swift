import AgentPool
import Testing

/// `next(matching:since:timeoutMillis:)`: the one-call wait that writes nothing of its own.
enum NextChecks {
    typealias F = CoordinatorFixture

    static let toB = EventFilter(kinds: .oneOf([delivered]), targets: .oneOf(["b"]))

    static func aMatchInTheBacklogIsReturnedAtOnceAndNothingIsWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        try await fixture.pool.send(F.message("m0", from: "b", to: .run("a")))
        let sent = try await fixture.pool.send(F.message("m1", from: "a", to: .run("b")))
        let count = try await fixture.logCount()

        let event = try #require(try await fixture.pool.next(matching: toB, since: 0))
        #expect(event.messageID == "m1" && event.kind == .message(.delivered) && event.cursor == sent.cursor)
        #expect(event == PoolEvent(try await fixture.log()[Int(event.cursor) - 1]))
        #expect(try await fixture.pool.next(matching: toB, since: event.cursor, timeoutMillis: 0) == nil)
        #expect(try await fixture.logCount() == count)
    }

    static func aMatchAppendedLaterThroughAnotherHandleEndsTheWait(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b"), F.member("c")])
        let since = try await fixture.pool.sweep()
        let waiter = Task { try await fixture.pool.next(matching: toB, since: since) }
        try await eventually("the waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }

        let other = try PoolHandle("pool", store: fixture.context.store)
        try await other.send(F.message("to-c", from: "a", to: .run("c")))  // wakes it; no match
        let sent = try await other.send(F.message("to-b", from: "a", to: .run("b")))
        let event = try #require(try await boundedValue(of: waiter, "the waiter's event"))
        #expect(event.messageID == "to-b" && event.cursor == sent.cursor)
    }

    static func aTimeoutReturnsNilOnTheStoreClockAndNothingIsWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let count = try await fixture.logCount()
        let waiter = Task { try await fixture.pool.next(matching: toB, since: 0, timeoutMillis: 500) }
        try await eventually("the waiter sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 499)
        try await eventually("the waiter still sleeping before its timeout") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 1)
        #expect(try await boundedValue(of: waiter, "the timed-out waiter") == nil)
        #expect(try await fixture.logCount() == count)
    }

    static func cancellingTheWaitingTaskEndsItPromptly(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let waiter = Task { try await fixture.pool.next(matching: toB, since: 0) }
        try await eventually("the waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await boundedValue(of: waiter, "the cancelled waiter") }
        #expect(fixture.context.store.changes.waiterCount == 0)
    }

    static func aDeadlinePassingWhileItWaitsIsRecordedAndCanBeTheEvent(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let sent = try await fixture.pool.send(F.message("ask", from: "a", to: .run("b"), timeout: 1_000))
        let timedOut = EventFilter(kinds: .oneOf([.message(.timedOut)]), messageIDs: .oneOf(["ask"]))
        // Its own timeout is the message's deadline: the deadline is recorded first, and matches.
        let waiter = Task { try await fixture.pool.next(matching: timedOut, since: sent.cursor ?? 0, timeoutMillis: 1_000) }
        try await eventually("the waiter sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 1_000)
        let event = try #require(try await boundedValue(of: waiter, "the timed-out message's event"))
        #expect(event.kind == .message(.timedOut) && event.messageID == "ask")
        #expect(try await fixture.pool.receipt("ask").status == .timedOut)
    }

    static func aNegativeCursorOrTimeoutIsInvalidInput(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness)
        #expect(await agentPoolError { _ = try await fixture.pool.next(since: -1) }?.field == "since")
        #expect(await agentPoolError { _ = try await fixture.pool.next(since: 0, timeoutMillis: -1) }?.field == "timeout_millis")
    }

    static func aPoolNeverOpenedOrDroppedWhileItWaitsIsPoolNotFound(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness)
        let never = try PoolHandle("never-opened", store: fixture.context.store)
        #expect(await agentPoolError { _ = try await never.next(since: 0) }?.kind == .poolNotFound)

        let cursor = try await fixture.pool.sweep()
        let waiter = Task { try await fixture.pool.next(since: cursor) }
        try await eventually("the waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        try await fixture.pool.drop()
        #expect(await agentPoolError { _ = try await boundedValue(of: waiter, "the waiter on a dropped pool") }?.kind == .poolNotFound)
    }
}

extension Conformance {
    static let next: [ConformanceCheck] = [
        ConformanceCheck("Next", "aMatchInTheBacklogIsReturnedAtOnceAndNothingIsWritten", NextChecks.aMatchInTheBacklogIsReturnedAtOnceAndNothingIsWritten),
        ConformanceCheck("Next", "aMatchAppendedLaterThroughAnotherHandleEndsTheWait", NextChecks.aMatchAppendedLaterThroughAnotherHandleEndsTheWait),
        ConformanceCheck("Next", "aTimeoutReturnsNilOnTheStoreClockAndNothingIsWritten", NextChecks.aTimeoutReturnsNilOnTheStoreClockAndNothingIsWritten),
        ConformanceCheck("Next", "cancellingTheWaitingTaskEndsItPromptly", NextChecks.cancellingTheWaitingTaskEndsItPromptly),
        ConformanceCheck("Next", "aDeadlinePassingWhileItWaitsIsRecordedAndCanBeTheEvent", NextChecks.aDeadlinePassingWhileItWaitsIsRecordedAndCanBeTheEvent),
        ConformanceCheck("Next", "aNegativeCursorOrTimeoutIsInvalidInput", NextChecks.aNegativeCursorOrTimeoutIsInvalidInput),
        ConformanceCheck("Next", "aPoolNeverOpenedOrDroppedWhileItWaitsIsPoolNotFound", NextChecks.aPoolNeverOpenedOrDroppedWhileItWaitsIsPoolNotFound),
    ]
}
