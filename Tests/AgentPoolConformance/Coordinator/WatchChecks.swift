import AgentPool
import Testing

/// `watch` and `events`: the backlog then live records, in order, once each.
enum WatchChecks {
    typealias F = CoordinatorFixture

    static func watchYieldsTheBacklogThenLiveRecordsInOrderExactlyOnce(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        for index in 0..<300 { try await fixture.pool.send(F.message("early-\(index)", from: "a", to: .run("b"))) }
        let backlog = try await fixture.logCount()
        let total = backlog + 2 * 50
        let watcher = Task {
            var seqs: [Seq] = []
            for try await record in fixture.pool.watch(after: 2) {
                seqs.append(record.seq)
                if seqs.count == total - 2 { break }
            }
            return seqs
        }
        for index in 0..<50 { try await fixture.pool.send(F.message("late-\(index)", from: "b", to: .run("a"))) }
        #expect(try await watcher.value == Array(3...Seq(total)))
    }

    static func aWatcherWaitingForRecordsEndsWhenItsTaskIsCancelled(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness)
        let watcher = Task {
            var count = 0
            for try await _ in fixture.pool.watch() { count += 1 }
            return count
        }
        try await eventually("a watcher or waiter parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        watcher.cancel()
        #expect(try await watcher.value == 1)  // pool_opened, then the sequence ended
        #expect(fixture.context.store.changes.waiterCount == 0)
    }

    static func eventsYieldOnlyMatchingEventsWithTheirCursors(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        try await fixture.pool.send(F.message("m1", from: "a", to: .run("b")))
        try await fixture.pool.send(F.message("m2", from: "b", to: .run("a")))
        try await fixture.pool.send(F.message("m3", from: "a", to: .run("ghost")))
        let filter = EventFilter(sourceRuns: .oneOf(["a"]), kinds: .oneOf([delivered, .message(.failed)]))
        var events: [PoolEvent] = []
        for try await event in fixture.pool.events(matching: filter) {
            events.append(event)
            if events.count == 2 { break }
        }
        #expect(events.map(\.messageID) == ["m1", "m3"])
        #expect(events.map(\.kind) == [delivered, .message(.failed)])
        #expect(events[0].targets == ["b"])
        let log = try await fixture.log()
        #expect(events.allSatisfy { event in PoolEvent(log[Int(event.cursor) - 1]) == event })
    }
}

extension Conformance {
    static let watch: [ConformanceCheck] = [
        ConformanceCheck("Watch", "watchYieldsTheBacklogThenLiveRecordsInOrderExactlyOnce", WatchChecks.watchYieldsTheBacklogThenLiveRecordsInOrderExactlyOnce),
        ConformanceCheck("Watch", "aWatcherWaitingForRecordsEndsWhenItsTaskIsCancelled", WatchChecks.aWatcherWaitingForRecordsEndsWhenItsTaskIsCancelled),
        ConformanceCheck("Watch", "eventsYieldOnlyMatchingEventsWithTheirCursors", WatchChecks.eventsYieldOnlyMatchingEventsWithTheirCursors),
    ]
}
