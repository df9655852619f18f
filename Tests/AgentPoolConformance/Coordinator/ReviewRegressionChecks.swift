import AgentPool
import Testing

/// Rules found missing by review, kept as regressions.
enum ReviewRegressionChecks {
    typealias F = CoordinatorFixture

    static func waitWorksWhenThePoolHoldsWakesAndMessagesWithoutDeadlines(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        try await fixture.pool.send(F.message("m1", from: "a", to: .run("b")))
        try await fixture.pool.send(F.message("m2", from: "a", to: .run("b")))
        try await fixture.pool.suspendUntil(F.wake("other", run: "a", kinds: [.wake(.failed)]))
        try await fixture.pool.suspendUntil(F.wake("w", run: "b", kinds: [delivered], messages: ["m3"]))
        async let waited = fixture.pool.wait("w")
        try await eventually("a watcher or waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        try await fixture.pool.send(F.message("m3", from: "a", to: .run("b")))
        #expect(try await waited.status == .triggered)
    }

    static func aHugePageLimitIsJustTheRestOfTheLog(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a")])
        #expect(try await fixture.pool.records(after: 1, limit: .max).map(\.seq) == [2])
    }

    static func aWakePastItsDeadlineTimesOutInsteadOfTriggeringEvenBeyondOneSweepBatch(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        for index in 0..<70 {
            try await fixture.pool.suspendUntil(F.wake("w\(index)", run: "b", kinds: [delivered], timeout: 100))
        }
        fixture.clock.advance(by: 100)
        try await fixture.pool.send(F.message("m", from: "a", to: .run("b")))
        let statuses = try await fixture.pool.snapshot().wakes.map(\.registration.status)
        #expect(statuses.count == 70)
        #expect(statuses.allSatisfy { $0 == .timedOut })
    }

    static func closingTheStoreEndsItsWatchersInsteadOfLeavingThemWaiting(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness)
        let store = fixture.context.store
        let watcher = Task { () -> Bool in
            do {
                for try await _ in fixture.pool.watch() {}
                return false
            } catch {
                return true  // the read after close failed: the watcher learned the store is gone
            }
        }
        try await eventually("a watcher or waiter parked on the change signal") { store.changes.waiterCount > 0 }
        try await store.close()
        #expect(await watcher.value)
        #expect(store.changes.waiterCount == 0)
    }
}

extension Conformance {
    static let reviewRegression: [ConformanceCheck] = [
        ConformanceCheck("ReviewRegression", "waitWorksWhenThePoolHoldsWakesAndMessagesWithoutDeadlines", ReviewRegressionChecks.waitWorksWhenThePoolHoldsWakesAndMessagesWithoutDeadlines),
        ConformanceCheck("ReviewRegression", "aHugePageLimitIsJustTheRestOfTheLog", ReviewRegressionChecks.aHugePageLimitIsJustTheRestOfTheLog),
        ConformanceCheck("ReviewRegression", "aWakePastItsDeadlineTimesOutInsteadOfTriggeringEvenBeyondOneSweepBatch", ReviewRegressionChecks.aWakePastItsDeadlineTimesOutInsteadOfTriggeringEvenBeyondOneSweepBatch),
        ConformanceCheck("ReviewRegression", "closingTheStoreEndsItsWatchersInsteadOfLeavingThemWaiting", ReviewRegressionChecks.closingTheStoreEndsItsWatchersInsteadOfLeavingThemWaiting),
    ]
}
