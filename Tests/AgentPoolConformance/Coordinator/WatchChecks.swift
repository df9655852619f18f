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

    /// A pool dropped and opened again is a new incarnation: its follower ends with
    /// `poolNotFound` instead of reading the new log's seqs as the old one's continuation, and a
    /// follower of a pool dropped for good ends the same way (issue 20, item 7).
    static func aFollowerOfADroppedPoolEndsWithPoolNotFoundAndSkipsNothingSilently(_ harness: StoreFactory) async throws {
        for reopen in [true, false] {
            let fixture = try await F.make(harness, members: [F.member("a")])
            for index in 0..<10 { try await fixture.pool.send(F.message("old-\(index)", from: "a", to: .run("a"))) }
            let before = try await fixture.logCount()
            let watcher = Task { () -> (seqs: [Seq], error: AgentPoolError?) in
                var seqs: [Seq] = []
                do {
                    for try await record in fixture.pool.watch() { seqs.append(record.seq) }
                } catch let error as AgentPoolError {
                    return (seqs, error)
                }
                return (seqs, nil)
            }
            try await eventually("the follower read the old log and waits") { fixture.context.store.changes.waiterCount > 0 }
            let store = fixture.context.store
            try await store.drop("pool")
            if reopen {
                try await store.openPool("pool")
                try await store.join("pool", Member(runID: "a", agentID: "agent"))
                for index in 0..<(before + 5) {
                    try await store.recordMessage("pool", StoredMessage(
                        message: Message(messageID: "new-\(index)", from: "a", to: .pool("pool"), contentRef: "c", idempotencyKey: "new-\(index)"),
                        receipt: Receipt(messageID: "new-\(index)", status: .accepted)))
                }
            }
            let (seqs, error) = try await watcher.value
            #expect(seqs == Array(1...Seq(before)), "reopen \(reopen): only the old pool's records, none of the new one's")
            #expect(error?.kind == .poolNotFound, "reopen \(reopen): \(String(describing: error))")
            // Re-opened, the follower may wake between the drop and the open (and see no pool) or
            // after (and see another incarnation): either way it ends, saying the pool was dropped.
            #expect(error?.message.contains("was dropped") == true, "\(String(describing: error))")
        }
    }
}

extension Conformance {
    static let watch: [ConformanceCheck] = [
        ConformanceCheck("Watch", "aFollowerOfADroppedPoolEndsWithPoolNotFoundAndSkipsNothingSilently",
                         WatchChecks.aFollowerOfADroppedPoolEndsWithPoolNotFoundAndSkipsNothingSilently),
        ConformanceCheck("Watch", "watchYieldsTheBacklogThenLiveRecordsInOrderExactlyOnce", WatchChecks.watchYieldsTheBacklogThenLiveRecordsInOrderExactlyOnce),
        ConformanceCheck("Watch", "aWatcherWaitingForRecordsEndsWhenItsTaskIsCancelled", WatchChecks.aWatcherWaitingForRecordsEndsWhenItsTaskIsCancelled),
        ConformanceCheck("Watch", "eventsYieldOnlyMatchingEventsWithTheirCursors", WatchChecks.eventsYieldOnlyMatchingEventsWithTheirCursors),
    ]
}
