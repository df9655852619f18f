import AgentPool
import Testing

/// Opening, creating, joining and leaving, on every backend.
enum PoolLifecycleChecks {
    typealias F = Fixtures

    static func openingANewPoolAppendsPoolOpenedAsSeqOne(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let config = PoolConfig(messagePolicy: MessagePolicy(requiredPolicyRefs: ["b", "a", "a"]), policyRefs: ["z"])
        let snapshot = try await context.store.openPool(F.pool, config: config)
        #expect(snapshot.cursor == 1)
        #expect(snapshot.messagePolicy.requiredPolicyRefs == ["a", "b"])
        let log = try await F.log(context.store)
        #expect(log.map(\.kind) == [.poolOpened])
        #expect(log.first?.seq == 1)
        #expect(log.first?.recordedAt == context.clock.nowMillis())
    }

    static func openingWithAnEqualConfigReturnsTheSnapshotAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let first = try await context.store.openPool(F.pool, config: PoolConfig(policyRefs: ["x", "y"]))
        let second = try await context.store.openPool(F.pool, config: PoolConfig(policyRefs: ["y", "x", "x"]))
        #expect(first == second)
        #expect(try await F.log(context.store).count == 1)
    }

    static func openingWithADifferentConfigIsAConfigConflictAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let error = await agentPoolError {
            try await context.store.openPool(F.pool, config: PoolConfig(wakePolicy: WakePolicy(envelopeOnly: false)))
        }
        #expect(error?.kind == .configConflict)
        #expect(error?.retry == .notRetryable)
        #expect(try await F.log(context.store).count == 1)
    }

    static func markCreatedAppendsOnceThenIsANoOp(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let first = try await context.store.markCreated(F.pool)
        let second = try await context.store.markCreated(F.pool)
        #expect(first?.seq == 2)
        #expect(second == nil)
        #expect(try await context.store.snapshot(F.pool).created)
        #expect(try await F.log(context.store).count == 2)
    }

    static func joinAddsOrReplacesAMemberAndRejoiningTheSameMemberWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        try await context.store.join(F.pool, F.member("run-b", topics: ["t2", "t1"]))
        try await context.store.join(F.pool, F.member("run-a", agent: "other", topics: ["t3"]))
        let again = try await context.store.join(F.pool, F.member("run-b", topics: ["t1", "t2", "t1"]))
        #expect(again == nil)
        var snapshot = try await context.store.snapshot(F.pool)
        #expect(snapshot.members.map(\.runID) == ["run-a", "run-b"])
        #expect(snapshot.topics == ["t1", "t2", "t3"])

        try await context.store.join(F.pool, F.member("run-b", topics: ["t9"]))
        snapshot = try await context.store.snapshot(F.pool)
        #expect(snapshot.member("run-b")?.topics == ["t9"])
        #expect(snapshot.topics == ["t3", "t9"])
        #expect(try await F.log(context.store).count == 4)
        #expect(snapshot == (try await F.replayed(context.store)))
    }

    static func membershipLookupsUseAgentAndTopicIndexes(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        try await context.store.join(F.pool, F.member("r3", agent: "a1", topics: ["t"]))
        try await context.store.join(F.pool, F.member("r1", agent: "a1"))
        try await context.store.join(F.pool, F.member("r2", agent: "a2", topics: ["t"]))
        let (byAgent, byTopic, missing) = try await context.store.read(F.pool) { reader in
            (try reader.members(ofAgent: "a1").map(\.runID), try reader.members(inTopic: "t").map(\.runID), try reader.member("nobody"))
        }
        #expect(byAgent == ["r1", "r3"])
        #expect(byTopic == ["r2", "r3"])
        #expect(missing == nil)
    }

    static func leaveRemovesTheMemberAndLeavingAsANonMemberIsNotMember(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        try await context.store.join(F.pool, F.member("run-1", topics: ["t"]))
        let left = try await context.store.leave(F.pool, run: "run-1")
        #expect(left.kind == .memberLeft)
        let snapshot = try await context.store.snapshot(F.pool)
        #expect(snapshot.members.isEmpty)
        #expect(snapshot.topics.isEmpty)

        let error = await agentPoolError { try await context.store.leave(F.pool, run: "run-1") }
        #expect(error?.kind == .notMember)
        #expect(try await F.log(context.store).count == 3)
    }

    static func everyOperationOnAPoolNeverOpenedIsPoolNotFoundAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let store = context.store
        let message = F.message("m1")
        let operations: [(String, () async throws -> Void)] = [
            ("snapshot", { _ = try await store.snapshot("nowhere") }),
            ("markCreated", { try await store.markCreated("nowhere") }),
            ("join", { try await store.join("nowhere", F.member("r")) }),
            ("leave", { try await store.leave("nowhere", run: "r") }),
            ("recordMessage", { try await store.recordMessage("nowhere", F.stored(message, .accepted)) }),
            ("recordWake", { try await store.recordWake("nowhere", F.wake("w")) }),
        ]
        for (name, operation) in operations {
            let error = await agentPoolError(operation)
            #expect(error?.kind == .poolNotFound, "\(name)")
        }
        #expect(try await store.pools().isEmpty)
        #expect(try await store.records("nowhere").isEmpty)
        #expect(try await store.message("nowhere", forKey: "k") == nil)
    }

    static func poolsListsEveryPoolWithItsCursorAndCounts(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool("b")
        try await context.store.openPool("a")
        try await context.store.join("a", F.member("r1"))
        try await context.store.join("a", F.member("r2"))
        try await context.store.recordMessage("a", F.stored(F.message("m"), .accepted))
        let pools = try await context.store.pools()
        #expect(pools == [
            PoolSummary(poolID: "a", lastSeq: 4, memberCount: 2, messageCount: 1),
            PoolSummary(poolID: "b", lastSeq: 1, memberCount: 0, messageCount: 0),
        ])
    }

    static func poolsAreIndependent(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool("a")
        try await context.store.openPool("b")
        try await context.store.join("a", F.member("r1"))
        try await context.store.recordMessage("b", F.stored(F.message("m", key: "k"), .accepted))
        // The same key in another pool is another dedupe entry.
        try await context.store.recordMessage("a", F.stored(F.message("m", key: "k"), .accepted))
        #expect(try await context.store.snapshot("b").members.isEmpty)
        #expect(try await F.log(context.store, "a").map(\.seq) == [1, 2, 3])
        #expect(try await F.log(context.store, "b").map(\.seq) == [1, 2])
    }
}

extension Conformance {
    static let poolLifecycle: [ConformanceCheck] = [
        ConformanceCheck("PoolLifecycle", "openingANewPoolAppendsPoolOpenedAsSeqOne", PoolLifecycleChecks.openingANewPoolAppendsPoolOpenedAsSeqOne),
        ConformanceCheck("PoolLifecycle", "openingWithAnEqualConfigReturnsTheSnapshotAndWritesNothing", PoolLifecycleChecks.openingWithAnEqualConfigReturnsTheSnapshotAndWritesNothing),
        ConformanceCheck("PoolLifecycle", "openingWithADifferentConfigIsAConfigConflictAndWritesNothing", PoolLifecycleChecks.openingWithADifferentConfigIsAConfigConflictAndWritesNothing),
        ConformanceCheck("PoolLifecycle", "markCreatedAppendsOnceThenIsANoOp", PoolLifecycleChecks.markCreatedAppendsOnceThenIsANoOp),
        ConformanceCheck("PoolLifecycle", "joinAddsOrReplacesAMemberAndRejoiningTheSameMemberWritesNothing", PoolLifecycleChecks.joinAddsOrReplacesAMemberAndRejoiningTheSameMemberWritesNothing),
        ConformanceCheck("PoolLifecycle", "membershipLookupsUseAgentAndTopicIndexes", PoolLifecycleChecks.membershipLookupsUseAgentAndTopicIndexes),
        ConformanceCheck("PoolLifecycle", "leaveRemovesTheMemberAndLeavingAsANonMemberIsNotMember", PoolLifecycleChecks.leaveRemovesTheMemberAndLeavingAsANonMemberIsNotMember),
        ConformanceCheck("PoolLifecycle", "everyOperationOnAPoolNeverOpenedIsPoolNotFoundAndWritesNothing", PoolLifecycleChecks.everyOperationOnAPoolNeverOpenedIsPoolNotFoundAndWritesNothing),
        ConformanceCheck("PoolLifecycle", "poolsListsEveryPoolWithItsCursorAndCounts", PoolLifecycleChecks.poolsListsEveryPoolWithItsCursorAndCounts),
        ConformanceCheck("PoolLifecycle", "poolsAreIndependent", PoolLifecycleChecks.poolsAreIndependent),
    ]
}
