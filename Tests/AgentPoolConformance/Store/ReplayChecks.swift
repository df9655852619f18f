import AgentPool
import Testing

/// The snapshot read from a backend's projections equals the pure reducer's replay of its log,
/// across random operations, refusals, aborted writes, and a close and reopen.
enum ReplayChecks {
    typealias F = Fixtures

    /// Applies `count` random operations to two pools, checking replay equivalence every 250.
    static func applyRandomOperations(_ count: Int, seed: UInt64, to context: StoreContext) async throws -> (applied: Int, refused: [AgentPoolError.Kind: Int]) {
        var rng = SeededGenerator(seed: seed)
        var applied = 0
        var refused: [AgentPoolError.Kind: Int] = [:]
        for pool in ["alpha", "beta"] { try await context.store.openPool(pool) }
        for step in 1...count {
            let pool = Bool.random(using: &rng) ? "alpha" : "beta"
            context.clock.advance(by: Int64.random(in: 0...5, using: &rng))
            if let kind = await RandomOperation.random(using: &rng).apply(to: context.store, pool: pool) {
                refused[kind, default: 0] += 1
            } else {
                applied += 1
            }
            if step % 250 == 0 {
                for pool in ["alpha", "beta"] {
                    #expect(try await context.store.snapshot(pool) == (try await F.replayed(context.store, pool)), "step \(step)")
                }
            }
        }
        return (applied, refused)
    }

    static func snapshotEqualsTheReplayOfTheLogAfterRandomOperations(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let (applied, refused) = try await applyRandomOperations(1500, seed: 0xA6E7, to: context)
        // The generator must exercise both paths, or the test proves little.
        #expect(applied > 300)
        #expect(refused[.invalidStateTransition, default: 0] > 50)
        #expect(refused[.idempotencyConflict, default: 0] > 10)
        #expect(refused[.invalidInput, default: 0] > 5)
        #expect(refused[.storage] == nil)
        for pool in ["alpha", "beta"] {
            let log = try await F.log(context.store, pool)
            #expect(log.map(\.seq) == Array(1...Seq(log.count)))
            let snapshot = try await context.store.snapshot(pool)
            #expect(snapshot == (try PoolState.replay(poolID: pool, records: log).snapshot()))
            #expect(!snapshot.messages.isEmpty && !snapshot.wakes.isEmpty)
            // The dependency index agrees with the replayed messages: dependents(of: d) are the
            // accepted messages that still wait for d.
            #expect(snapshot.messages.contains { !$0.message.after.isEmpty } && snapshot.messages.contains { $0.message.priority != 0 }
                    && snapshot.messages.contains { $0.message.notBeforeMillis != nil }
                    && snapshot.wakes.contains { !$0.condition.anyOf.isEmpty }, "the generator must exercise the scheduling fields")
            for dependency in Set(snapshot.messages.flatMap(\.message.after)) {
                let indexed = try await context.store.read(pool) { reader in
                    try reader.dependents(of: dependency).filter { $0.receipt.waitingFor.contains(dependency) }
                }
                let expected = snapshot.messages.filter { $0.receipt.status == .accepted && $0.receipt.waitingFor.contains(dependency) }
                #expect(indexed == expected, "dependents of \(dependency)")
            }
        }
    }

    static func dedupeLookupsAgreeWithTheReplayedState(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        _ = try await applyRandomOperations(600, seed: 0xBEEF, to: context)
        let state = try PoolState.replay(poolID: "alpha", records: try await F.log(context.store, "alpha"))
        for index in 0..<40 {
            let key = "k\(index)"
            let expected = state.messageIDsByKey[key].flatMap { state.messages[$0] }
            #expect(try await context.store.message("alpha", forKey: key) == expected)
        }
        for index in 0..<20 {
            let key = "wk\(index)"
            let expected = state.conditionIDsByKey[key].flatMap { state.wakes[$0] }
            #expect(try await context.store.wake("alpha", forKey: key) == expected)
            #expect(try await context.store.wake("alpha", id: "w\(index)") == state.wakes["w\(index)"])
        }
    }

    static func closingAndReopeningRehydratesEveryPool(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        _ = try await applyRandomOperations(400, seed: 0xC0FFEE, to: context)
        let before = (try await context.store.snapshot("alpha"), try await context.store.snapshot("beta"), try await context.store.pools())
        let logBefore = try await F.log(context.store, "alpha")

        try await context.reopen()

        #expect(try await context.store.snapshot("alpha") == before.0)
        #expect(try await context.store.snapshot("beta") == before.1)
        #expect(try await context.store.pools() == before.2)
        #expect(try await F.log(context.store, "alpha") == logBefore)
        let next = try await context.store.join("alpha", F.member("after-reopen"))
        #expect(next?.seq == (before.0.cursor ?? 0) + 1)
        #expect(try await context.store.snapshot("alpha") == (try await F.replayed(context.store, "alpha")))
    }
}

extension Conformance {
    static let replay: [ConformanceCheck] = [
        ConformanceCheck("Replay", "snapshotEqualsTheReplayOfTheLogAfterRandomOperations", ReplayChecks.snapshotEqualsTheReplayOfTheLogAfterRandomOperations),
        ConformanceCheck("Replay", "dedupeLookupsAgreeWithTheReplayedState", ReplayChecks.dedupeLookupsAgreeWithTheReplayedState),
        ConformanceCheck("Replay", "closingAndReopeningRehydratesEveryPool", requiresPersistence: true, ReplayChecks.closingAndReopeningRehydratesEveryPool),
    ]
}
