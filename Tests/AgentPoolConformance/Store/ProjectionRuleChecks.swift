import AgentPool
import Testing

/// The core's projection rules and write checks (PoolTransaction, ProjectionRules), pinned on
/// every backend: a backend stores what the core computes, so these hold alike everywhere.
enum ProjectionRuleChecks {
    typealias F = Fixtures

    /// A store with pool `F.pool` holding members run-1 and run-2.
    private static func poolWithTwoMembers(_ harness: StoreFactory) async throws -> StoreContext {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        try await context.store.join(F.pool, F.member("run-1"))
        try await context.store.join(F.pool, F.member("run-2"))
        return context
    }

    static func aClaimOnAMessageThePoolDoesNotHoldIsNotFoundAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await poolWithTwoMembers(harness)
        let error = await agentPoolError {
            try await context.store.write(F.pool) { tx in
                try tx.saveClaim(MessageClaim(messageID: "ghost", status: .held, runID: "run-2", token: 1,
                                              leaseMillis: 1_000, expiresAt: tx.now + 1_000, maxAttempts: 3))
            }
        }
        #expect(error?.kind == .notFound)
        #expect(try await context.store.read(F.pool) { try $0.claim("ghost") } == nil)
        #expect(try await F.log(context.store).count == 3)
    }

    static func aLeaseForARunThatIsNotAMemberIsNotMemberAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await poolWithTwoMembers(harness)
        let error = await agentPoolError {
            try await context.store.write(F.pool) { tx in
                try tx.saveLease(MemberLease(runID: "stranger", leaseMillis: 1_000, expiresAt: tx.now + 1_000))
            }
        }
        #expect(error?.kind == .notMember)
        #expect(try await context.store.read(F.pool) { try $0.lease("stranger") } == nil)
    }

    static func aSecondPoolOpenedIsRefusedAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await poolWithTwoMembers(harness)
        let error = await agentPoolError {
            try await context.store.write(F.pool) { tx in _ = try tx.append(.poolOpened(PoolConfig())) }
        }
        #expect(error?.kind == .invalidStateTransition)
        #expect(try await F.log(context.store).count == 3)
    }

    static func aMemberThatLeavesLosesItsLeaseInTheSameWrite(_ harness: StoreFactory) async throws {
        let context = try await poolWithTwoMembers(harness)
        try await context.store.write(F.pool) { tx in
            try tx.saveLease(MemberLease(runID: "run-2", leaseMillis: 1_000, expiresAt: tx.now + 1_000))
        }
        #expect(try await context.store.read(F.pool) { try $0.lease("run-2") } != nil)
        try await context.store.leave(F.pool, run: "run-2")
        #expect(try await context.store.read(F.pool) { try $0.lease("run-2") } == nil)
        #expect(try await context.store.read(F.pool) { try $0.dueLeases(at: .max, limit: 10) }.isEmpty)
    }

    static func inboxRowsAreWrittenOnTheTransitionIntoDeliveredOnly(_ harness: StoreFactory) async throws {
        let context = try await poolWithTwoMembers(harness)
        let message = F.message("m1")
        try await context.store.recordMessage(F.pool, F.stored(message, .accepted))
        #expect(try await context.store.read(F.pool) { try $0.inbox(run: "run-2", after: 0, limit: 10) }.isEmpty)
        let delivered = try #require(try await context.store.recordMessage(F.pool, F.stored(message, .delivered, to: ["run-2"])))
        // Still delivered, with a changed receipt (a reply counted): no second inbox row.
        var counted = F.stored(message, .delivered, to: ["run-2"])
        counted.receipt.respondedBy = ["run-2"]
        #expect(try await context.store.recordMessage(F.pool, counted) != nil)
        let inbox = try await context.store.read(F.pool) { try $0.inbox(run: "run-2", after: 0, limit: 10) }
        #expect(inbox == [InboxEntry(seq: delivered.seq, messageID: "m1")])
        #expect(try await context.store.read(F.pool) { try $0.inbox(run: "run-1", after: 0, limit: 10) }.isEmpty)
    }
}

extension Conformance {
    static let projectionRules: [ConformanceCheck] = [
        ConformanceCheck("ProjectionRules", "aClaimOnAMessageThePoolDoesNotHoldIsNotFoundAndWritesNothing",
                         ProjectionRuleChecks.aClaimOnAMessageThePoolDoesNotHoldIsNotFoundAndWritesNothing),
        ConformanceCheck("ProjectionRules", "aLeaseForARunThatIsNotAMemberIsNotMemberAndWritesNothing",
                         ProjectionRuleChecks.aLeaseForARunThatIsNotAMemberIsNotMemberAndWritesNothing),
        ConformanceCheck("ProjectionRules", "aSecondPoolOpenedIsRefusedAndWritesNothing", ProjectionRuleChecks.aSecondPoolOpenedIsRefusedAndWritesNothing),
        ConformanceCheck("ProjectionRules", "aMemberThatLeavesLosesItsLeaseInTheSameWrite", ProjectionRuleChecks.aMemberThatLeavesLosesItsLeaseInTheSameWrite),
        ConformanceCheck("ProjectionRules", "inboxRowsAreWrittenOnTheTransitionIntoDeliveredOnly",
                         ProjectionRuleChecks.inboxRowsAreWrittenOnTheTransitionIntoDeliveredOnly),
    ]
}
