import AgentPool
import Testing

/// The claim stream: the worker loop that sleeps while nothing is claimable and cannot strand
/// work, on every backend.
enum ClaimStreamChecks {
    typealias F = CoordinatorFixture

    static func theClaimStreamYieldsATaskDeliveredWhileItWaits(_ harness: StoreFactory) async throws {
        let fixture = try await ClaimChecks.queue(harness, tasks: 0)
        let stream = try fixture.pool.claims("w1", from: .topic("tasks"), leaseMillis: 1_000)
        let first = Task { () throws -> ClaimedMessage? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()
        }
        try await eventually("the stream parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        try await fixture.pool.send(F.message("t1", from: "dispatcher", to: .topic("tasks")))
        let claimed = try #require(try await first.value)
        #expect(claimed.message.messageID == "t1")
        #expect(claimed.claim.runID == "w1" && claimed.claim.token == 1)
    }

    static func theClaimStreamTakesBackAClaimThatRanOutWithNoOtherActivity(_ harness: StoreFactory) async throws {
        let fixture = try await ClaimChecks.queue(harness, tasks: 1)
        // w1 claims the task and is never heard of again.
        let lost = try #require(try await fixture.pool.claimNext("w1", from: .topic("tasks"), leaseMillis: 1_000))
        let stream = try fixture.pool.claims("w2", from: .topic("tasks"), leaseMillis: 1_000)
        let next = Task { () throws -> ClaimedMessage? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()
        }
        // The stream sleeps until the claim runs out: nothing else happens in the pool.
        try await eventually("the stream sleeping until the claim's expiry") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 1_000)
        let claimed = try #require(try await next.value)
        #expect(claimed.message.messageID == lost.message.messageID)
        #expect(claimed.claim.runID == "w2")
        #expect(claimed.claim.token == lost.claim.token + 1)
    }

    static func cancellingTheIteratingTaskEndsTheClaimStream(_ harness: StoreFactory) async throws {
        let fixture = try await ClaimChecks.queue(harness, tasks: 0)
        let stream = try fixture.pool.claims("w1", leaseMillis: 1_000)
        let loop = Task { () throws -> Int in
            var count = 0
            for try await _ in stream { count += 1 }
            return count
        }
        try await eventually("the stream parked on the change signal") { fixture.context.store.changes.waiterCount > 0 }
        loop.cancel()
        #expect(try await loop.value == 0)
    }

    static func aClaimStreamWithBadArgumentsIsRefusedBeforeAnythingIsClaimed(_ harness: StoreFactory) async throws {
        let fixture = try await ClaimChecks.queue(harness, tasks: 1)
        #expect(await agentPoolError { _ = try fixture.pool.claims("w1", leaseMillis: 0) }?.kind == .invalidInput)
        #expect(await agentPoolError { _ = try fixture.pool.claims("w1", leaseMillis: 1, maxAttempts: 0) }?.kind == .invalidInput)
        #expect(await agentPoolError { _ = try fixture.pool.claims("bad\u{1}run", leaseMillis: 1) }?.kind == .invalidInput)
        #expect(try await fixture.pool.heldClaims().isEmpty)
    }
}

extension Conformance {
    static let claimStream: [ConformanceCheck] = [
        ConformanceCheck("ClaimStream", "theClaimStreamYieldsATaskDeliveredWhileItWaits",
                         ClaimStreamChecks.theClaimStreamYieldsATaskDeliveredWhileItWaits),
        ConformanceCheck("ClaimStream", "theClaimStreamTakesBackAClaimThatRanOutWithNoOtherActivity",
                         ClaimStreamChecks.theClaimStreamTakesBackAClaimThatRanOutWithNoOtherActivity),
        ConformanceCheck("ClaimStream", "cancellingTheIteratingTaskEndsTheClaimStream",
                         ClaimStreamChecks.cancellingTheIteratingTaskEndsTheClaimStream),
        ConformanceCheck("ClaimStream", "aClaimStreamWithBadArgumentsIsRefusedBeforeAnythingIsClaimed",
                         ClaimStreamChecks.aClaimStreamWithBadArgumentsIsRefusedBeforeAnythingIsClaimed),
    ]
}
