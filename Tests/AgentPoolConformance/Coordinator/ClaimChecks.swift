import AgentPool
import Testing

/// Claims with fencing tokens, dead letters and re-sending, on every backend.
enum ClaimChecks {
    typealias F = CoordinatorFixture

    /// A dispatcher and two workers subscribed to "tasks"; `count` tasks t1… posted to the topic.
    static func queue(_ harness: StoreFactory, tasks count: Int = 3, workerLease: Millis? = nil) async throws -> CoordinatorFixture {
        let fixture = try await F.make(harness, members: [F.member("dispatcher")])
        for worker in ["w1", "w2"] {
            try await fixture.pool.join(F.member(worker, topics: ["tasks"]), leaseMillis: workerLease)
        }
        for index in 1...max(count, 1) where count > 0 {
            try await fixture.pool.send(F.message("t\(index)", from: "dispatcher", to: .topic("tasks")))
        }
        return fixture
    }

    static func claimNextHandsEachMessageToOneWorkerOldestFirstWithoutGrowingTheLog(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness)
        let pool = fixture.pool
        try await pool.send(F.message("direct", from: "dispatcher", to: .run("w1")))
        let count = try await fixture.logCount()

        let first = try #require(try await pool.claimNext("w1", from: .topic("tasks"), leaseMillis: 1_000))
        let second = try #require(try await pool.claimNext("w2", from: .topic("tasks"), leaseMillis: 1_000))
        let third = try #require(try await pool.claimNext("w1", from: .topic("tasks"), leaseMillis: 1_000))
        #expect([first, second, third].map(\.message.messageID) == ["t1", "t2", "t3"])
        #expect([first, second, third].map(\.token) == [1, 1, 1])
        #expect(first.claim.status == .held && first.claim.runID == "w1")
        #expect(first.claim.expiresAt == fixture.clock.nowMillis() + 1_000)
        #expect(try await pool.claimNext("w2", from: .topic("tasks"), leaseMillis: 1_000) == nil)
        // Without a queue filter, w1's direct message is next for it; w2 has nothing.
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000)?.message.messageID == "direct")
        #expect(try await pool.claimNext("w2", leaseMillis: 1_000) == nil)
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.heldClaims(run: "w1").map(\.messageID) == ["direct", "t1", "t3"])

        #expect(await agentPoolError { _ = try await pool.claimNext("stranger", leaseMillis: 1_000) }?.kind == .notMember)
        #expect(await agentPoolError { _ = try await pool.claimNext("w1", leaseMillis: 0) }?.field == "lease_millis")
        #expect(await agentPoolError { _ = try await pool.claimNext("w1", leaseMillis: 5, maxAttempts: 0) }?.field == "max_attempts")
        #expect(await agentPoolError { _ = try await pool.claimNext("", leaseMillis: 5) }?.field == "run_id")
    }

    static func aClaimThatRanOutGoesToTheNextWorkerWithAHigherTokenAndTheOldTokenIsRefused(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness, tasks: 1)
        let pool = fixture.pool
        let lost = try #require(try await pool.claimNext("w1", leaseMillis: 1_000))
        #expect(try await pool.claimNext("w2", leaseMillis: 1_000) == nil)  // held
        fixture.clock.advance(by: 1_000)
        let taken = try #require(try await pool.claimNext("w2", leaseMillis: 1_000))
        #expect(taken.message.messageID == "t1")
        #expect(taken.token == lost.token + 1)
        #expect(taken.claim.expiredCount == 1)

        let before = try await fixture.log()
        let late = F.message("late", from: "w1", to: .run("dispatcher"))
        #expect(await agentPoolError { try await pool.complete("t1", run: "w1", token: lost.token) }?.kind == .staleClaim)
        #expect(await agentPoolError { try await pool.reply(to: "t1", with: late, claimToken: lost.token) }?.kind == .staleClaim)
        #expect(await agentPoolError { try await pool.reply(to: "t1", with: late) }?.kind == .staleClaim)
        #expect(await agentPoolError { try await pool.release("t1", run: "w1", token: lost.token) }?.kind == .staleClaim)
        #expect(await agentPoolError { try await pool.extendClaim("t1", run: "w1", token: lost.token) }?.kind == .staleClaim)
        // The right token from the wrong run is stale too.
        #expect(await agentPoolError { try await pool.complete("t1", run: "w1", token: taken.token) }?.kind == .staleClaim)
        #expect(try await fixture.log() == before)

        let receipt = try await pool.complete("t1", run: "w2", token: taken.token)
        #expect(receipt.status == .responded && receipt.reason == "completed" && receipt.respondedBy == ["w2"])
        #expect(try await pool.claim("t1")?.status == .done)
        // Repeating the completion that committed returns the same receipt and writes nothing.
        let count = try await fixture.logCount()
        #expect(try await pool.complete("t1", run: "w2", token: taken.token) == receipt)
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.snapshot() == (try PoolState.replay(poolID: "pool", records: try await fixture.log()).snapshot()))
    }

    static func aReplyWithTheLiveTokenAnswersAndClosesTheClaim(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness, tasks: 1)
        let claimed = try #require(try await fixture.pool.claimNext("w1", leaseMillis: 1_000))
        let reply = F.message("answer", from: "w1", to: .run("dispatcher"))
        try await fixture.pool.reply(to: "t1", with: reply, claimToken: claimed.token)
        #expect(try await fixture.pool.receipt("t1").status == .responded)
        #expect(try await fixture.pool.claim("t1")?.status == .done)
        // A token for a message never claimed is refused.
        try await fixture.pool.send(F.message("t2", from: "dispatcher", to: .topic("tasks")))
        #expect(await agentPoolError { try await fixture.pool.complete("t2", run: "w1", token: 1) }?.kind == .notFound)
        let other = F.message("other", from: "w1", to: .run("dispatcher"))
        #expect(await agentPoolError { try await fixture.pool.reply(to: "t2", with: other, claimToken: 1) }?.kind == .staleClaim)
    }

    static func releaseAndExtendKeepTheTokenAndReleaseIsNotAnAttempt(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness, tasks: 1)
        let pool = fixture.pool
        let claimed = try #require(try await pool.claimNext("w1", leaseMillis: 1_000))
        fixture.clock.advance(by: 900)
        let extended = try await pool.extendClaim("t1", run: "w1", token: claimed.token, leaseMillis: 2_000)
        #expect(extended.expiresAt == fixture.clock.nowMillis() + 2_000 && extended.token == claimed.token)
        fixture.clock.advance(by: 1_500)
        #expect(try await pool.claimNext("w2", leaseMillis: 1_000) == nil)  // still held thanks to the extension

        let released = try await pool.release("t1", run: "w1", token: claimed.token)
        #expect(released.status == .open && released.expiredCount == 0)
        #expect(try await pool.release("t1", run: "w1", token: claimed.token) == released)  // a repeat is a no-op
        let next = try #require(try await pool.claimNext("w2", leaseMillis: 1_000))
        #expect(next.token == 2 && next.claim.expiredCount == 0)
    }

    static func afterMaxAttemptsExpiredClaimsTheMessageIsADeadLetterThatCanBeResent(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness, tasks: 1)
        let pool = fixture.pool
        for attempt in 1...2 {
            let claimed = try #require(try await pool.claimNext("w1", leaseMillis: 100, maxAttempts: 2))
            #expect(claimed.token == Int64(attempt))
            fixture.clock.advance(by: 100)
            try await pool.sweep()
        }
        let receipt = try await pool.receipt("t1")
        #expect(receipt.status == .failed && receipt.reason == "max_attempts")
        #expect(try await pool.claimNext("w1", leaseMillis: 100) == nil)
        let dead = try await pool.deadLetters()
        #expect(dead.map(\.message.messageID) == ["t1"] && dead.first?.claim.expiredCount == 2)

        let resent = try await pool.resend("t1")
        #expect(resent.messageID == "t1-resent" && resent.status == .delivered && resent.deliveredTo == ["w1", "w2"])
        #expect(try await pool.deadLetters().isEmpty)
        #expect(try await pool.claim("t1")?.resentAs == "t1-resent")
        let count = try await fixture.logCount()
        #expect(try await pool.resend("t1").messageID == "t1-resent")
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.claimNext("w2", leaseMillis: 100)?.message.messageID == "t1-resent")
        // Only a dead letter can be re-sent.
        #expect(await agentPoolError { try await pool.resend("t1-resent") }?.kind == .invalidStateTransition)
        #expect(try await pool.snapshot() == (try PoolState.replay(poolID: "pool", records: try await fixture.log()).snapshot()))
    }

    static func aMemberWhoseLeaseRanOutLosesItsClaimsAndOneWhoLeavesReleasesThem(_ harness: StoreFactory) async throws {
        let fixture = try await queue(harness, tasks: 2, workerLease: 1_000)
        let pool = fixture.pool
        let crashed = try #require(try await pool.claimNext("w1", leaseMillis: 60_000))
        let leaving = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        fixture.clock.advance(by: 500)
        try await pool.heartbeat("w2")  // w2 keeps heartbeating; w1 has crashed
        fixture.clock.advance(by: 500)
        try await pool.sweep()
        #expect(try await pool.members().map(\.runID) == ["dispatcher", "w2"])
        let expired = try #require(try await pool.claim(crashed.message.messageID))
        #expect(expired.status == .open && expired.expiredCount == 1)

        try await pool.leave("w2")
        let released = try #require(try await pool.claim(leaving.message.messageID))
        #expect(released.status == .open && released.expiredCount == 0)
        try await pool.join(F.member("w3", topics: ["tasks"]))
        #expect(try await pool.claimNext("w3", leaseMillis: 1_000) == nil)  // w3 was not a recipient of t1, t2
    }
}

extension Conformance {
    static let claim: [ConformanceCheck] = [
        ConformanceCheck("Claim", "claimNextHandsEachMessageToOneWorkerOldestFirstWithoutGrowingTheLog", ClaimChecks.claimNextHandsEachMessageToOneWorkerOldestFirstWithoutGrowingTheLog),
        ConformanceCheck("Claim", "aClaimThatRanOutGoesToTheNextWorkerWithAHigherTokenAndTheOldTokenIsRefused", ClaimChecks.aClaimThatRanOutGoesToTheNextWorkerWithAHigherTokenAndTheOldTokenIsRefused),
        ConformanceCheck("Claim", "aReplyWithTheLiveTokenAnswersAndClosesTheClaim", ClaimChecks.aReplyWithTheLiveTokenAnswersAndClosesTheClaim),
        ConformanceCheck("Claim", "releaseAndExtendKeepTheTokenAndReleaseIsNotAnAttempt", ClaimChecks.releaseAndExtendKeepTheTokenAndReleaseIsNotAnAttempt),
        ConformanceCheck("Claim", "afterMaxAttemptsExpiredClaimsTheMessageIsADeadLetterThatCanBeResent", ClaimChecks.afterMaxAttemptsExpiredClaimsTheMessageIsADeadLetterThatCanBeResent),
        ConformanceCheck("Claim", "aMemberWhoseLeaseRanOutLosesItsClaimsAndOneWhoLeavesReleasesThem", ClaimChecks.aMemberWhoseLeaseRanOutLosesItsClaimsAndOneWhoLeavesReleasesThem),
    ]
}
