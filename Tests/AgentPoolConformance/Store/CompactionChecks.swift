import AgentPool
import Testing

/// Retention: checkpoints, compaction, `cursorCompacted`, `drop`, on every backend.
enum CompactionChecks {
    typealias F = Fixtures

    /// A store with pool `F.pool` holding a few members and messages.
    static func populated(_ harness: StoreFactory) async throws -> StoreContext {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        for index in 1...4 { try await context.store.join(F.pool, F.member("run-\(index)")) }
        for index in 1...3 { try await context.store.recordMessage(F.pool, F.stored(F.message("m\(index)"), .accepted)) }
        return context
    }

    static func compactionWritesACheckpointDeletesOlderRecordsAndReplayStillGivesTheSnapshot(_ harness: StoreFactory) async throws {
        let context = try await populated(harness)
        let store = context.store
        let snapshot = try await store.snapshot(F.pool)
        let cursor = try #require(snapshot.cursor)

        let result = try await store.compact(F.pool, through: cursor - 2)
        #expect(result == CompactionResult(checkpoint: cursor + 1, compactedThrough: cursor - 2, deleted: Int(cursor - 2)))
        let log = try await F.log(store)
        #expect(log.map(\.seq) == [cursor - 1, cursor, cursor + 1])
        guard case .checkpoint(let held) = log.last?.payload else { Issue.record("no checkpoint"); return }
        var expected = snapshot
        expected.cursor = cursor + 1
        #expect(held == expected)
        #expect(try await store.snapshot(F.pool) == expected)
        // Replaying from the checkpoint gives the snapshot, before and after more writes.
        #expect(try PoolState.replay(poolID: F.pool, records: log.suffix(1)).snapshot() == expected)
        try await store.join(F.pool, F.member("later"))
        try await store.recordMessage(F.pool, F.stored(F.message("m1"), .delivered, to: ["later"]))
        let tail = try await store.records(F.pool, after: cursor)
        #expect(try PoolState.replay(poolID: F.pool, records: tail).snapshot() == (try await store.snapshot(F.pool)))
        #expect(try await store.pools().first?.lastSeq == cursor + 3)
    }

    static func readingBelowTheCompactionPointIsCursorCompactedWithTheCheckpointSeq(_ harness: StoreFactory) async throws {
        let context = try await populated(harness)
        let cursor = try #require(try await context.store.snapshot(F.pool).cursor)
        try await context.store.compact(F.pool, through: 5)
        for after: Seq in [0, 1, 4] {
            let error = await agentPoolError { _ = try await context.store.records(F.pool, after: after) }
            #expect(error?.kind == .cursorCompacted)
            #expect(error?.checkpoint == cursor + 1)
        }
        #expect(try await context.store.records(F.pool, after: 5).first?.seq == 6)
        // A watcher below the point fails the same way; resyncing from the snapshot goes on.
        let pool = try PoolHandle(F.pool, store: context.store)
        var iterator = pool.watch(after: 2).makeAsyncIterator()
        let watchError = await agentPoolError { _ = try await iterator.next() }
        #expect(watchError?.kind == .cursorCompacted)
        let resync = try #require(try await pool.snapshot().cursor)
        try await context.store.join(F.pool, F.member("after-resync"))
        var resumed = pool.watch(after: resync).makeAsyncIterator()
        #expect(try await resumed.next()?.seq == resync + 1)
    }

    static func compactionStopsAtTheSlowestDurableConsumerUnlessForcedAndRefusesBadBounds(_ harness: StoreFactory) async throws {
        let context = try await populated(harness)
        let store = context.store
        _ = try await store.write(F.pool) { try $0.ack(consumer: "slow", cursor: 3) }
        _ = try await store.write(F.pool) { try $0.ack(consumer: "fast", cursor: 7) }
        let before = try await F.log(store)
        let refused = await agentPoolError { try await store.compact(F.pool, through: 4) }
        #expect(refused?.kind == .invalidInput && refused?.field == "through")
        #expect(refused?.message.contains("slow") == true)
        for bad: Seq in [0, -1, 99] {
            #expect(await agentPoolError { try await store.compact(F.pool, through: bad, force: true) }?.field == "through")
        }
        #expect(try await F.log(store) == before)
        #expect(try await store.compact(F.pool, through: 3).compactedThrough == 3)
        #expect(try await store.compact(F.pool, through: 6, force: true).compactedThrough == 6)
        // At or below the current point: nothing to do, nothing written.
        let count = try await F.log(store).count
        #expect(try await store.compact(F.pool, through: 2, force: true).deleted == 0)
        #expect(try await F.log(store).count == count)
        #expect(await agentPoolError { try await store.compact("never-opened", through: 1) }?.kind == .poolNotFound)
    }

    static func dropRemovesThePoolEntirelyAndTheIdCanBeReused(_ harness: StoreFactory) async throws {
        let context = try await populated(harness)
        try await context.store.openPool("other")
        _ = try await context.store.write(F.pool) { try $0.ack(consumer: "c", cursor: 2) }
        try await context.store.drop(F.pool)
        #expect(try await context.store.pools().map(\.poolID) == ["other"])
        #expect(await agentPoolError { _ = try await context.store.snapshot(F.pool) }?.kind == .poolNotFound)
        #expect(await agentPoolError { try await context.store.drop(F.pool) }?.kind == .poolNotFound)
        try await context.store.openPool(F.pool)
        #expect(try await F.log(context.store).map(\.seq) == [1])
        #expect(try await context.store.read(F.pool) { try $0.consumers() }.isEmpty)
    }

    /// The compaction property: after random operations and compactions at random points,
    /// replaying what the log still holds (checkpoint + tail) equals the snapshot, and every
    /// read below the compaction point is `cursorCompacted`.
    static func replayOfCheckpointPlusTailEqualsTheSnapshotAtRandomCompactionPoints(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let store = context.store
        var rng = SeededGenerator(seed: 0xC0_4AC7)
        try await store.openPool("p")
        var compactions = 0
        for step in 1...900 {
            context.clock.advance(by: Int64.random(in: 0...3, using: &rng))
            await RandomOperation.random(using: &rng).apply(to: store, pool: "p")
            guard Int.random(in: 0..<40, using: &rng) == 0 else { continue }
            let info = try #require(try await store.read("p") { try $0.info() })
            guard info.cursor > info.compactedThrough else { continue }
            let through = Seq.random(in: (info.compactedThrough + 1)...info.cursor, using: &rng)
            try await store.compact("p", through: through, force: true)
            compactions += 1
            let held = try await store.allRecords("p", pageSize: 5)
            #expect(held.first?.seq == through + 1, "step \(step)")
            #expect(held.map(\.seq) == Array((through + 1)...(held.last?.seq ?? 0)), "step \(step)")
            #expect(try PoolState.replay(poolID: "p", records: held.drop { $0.kind != .checkpoint }).snapshot()
                    == (try await store.snapshot("p")), "step \(step)")
            #expect(await agentPoolError { _ = try await store.records("p", after: through - 1) }?.kind == .cursorCompacted)
        }
        #expect(compactions >= 10)
        let held = try await store.allRecords("p")
        let fromCheckpoint = held.drop { $0.kind != .checkpoint }
        #expect(try PoolState.replay(poolID: "p", records: fromCheckpoint).snapshot() == (try await store.snapshot("p")))
        if harness.isPersistent {
            let before = try await store.snapshot("p")
            try await context.reopen()
            #expect(try await context.store.snapshot("p") == before)
            #expect(try await context.store.allRecords("p") == held)
        }
    }
}

extension Conformance {
    static let compaction: [ConformanceCheck] = [
        ConformanceCheck("Compaction", "compactionWritesACheckpointDeletesOlderRecordsAndReplayStillGivesTheSnapshot", CompactionChecks.compactionWritesACheckpointDeletesOlderRecordsAndReplayStillGivesTheSnapshot),
        ConformanceCheck("Compaction", "readingBelowTheCompactionPointIsCursorCompactedWithTheCheckpointSeq", CompactionChecks.readingBelowTheCompactionPointIsCursorCompactedWithTheCheckpointSeq),
        ConformanceCheck("Compaction", "compactionStopsAtTheSlowestDurableConsumerUnlessForcedAndRefusesBadBounds", CompactionChecks.compactionStopsAtTheSlowestDurableConsumerUnlessForcedAndRefusesBadBounds),
        ConformanceCheck("Compaction", "dropRemovesThePoolEntirelyAndTheIdCanBeReused", CompactionChecks.dropRemovesThePoolEntirelyAndTheIdCanBeReused),
        ConformanceCheck("Compaction", "replayOfCheckpointPlusTailEqualsTheSnapshotAtRandomCompactionPoints", CompactionChecks.replayOfCheckpointPlusTailEqualsTheSnapshotAtRandomCompactionPoints),
    ]
}
