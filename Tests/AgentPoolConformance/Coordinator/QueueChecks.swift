import AgentPool
import Testing

/// Topics as queues: queued work waits for whoever its address selects at claim time, on every
/// backend.
enum QueueChecks {
    typealias F = CoordinatorFixture

    static func task(_ id: MessageID, to topic: TopicID = "tasks", expiresAt: Millis? = nil) -> Message {
        Message(messageID: id, from: "planner", to: .topic(topic), body: .object(["task": .string(id)]),
                idempotencyKey: "key-\(id)", expiresAtMillis: expiresAt, queued: true)
    }

    static func tasksQueuedBeforeAnyWorkerJoinedAreClaimedOnceEachByWorkersThatJoinLater(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner")])
        let pool = fixture.pool
        for index in 1...6 {
            let receipt = try await pool.send(task("t\(index)"))
            #expect(receipt.status == .delivered && receipt.deliveredTo.isEmpty, "no recipient yet, and no failure")
        }
        // The first worker joins after the tasks, claims two, and crashes (its lease runs out).
        try await pool.join(F.member("w1", topics: ["tasks"]), leaseMillis: 1_000)
        let first = try #require(try await pool.claimNext("w1", leaseMillis: 5_000))
        let second = try #require(try await pool.claimNext("w1", leaseMillis: 5_000))
        _ = try await pool.complete(first.message.messageID, run: "w1", token: first.token)
        fixture.clock.advance(by: 1_000)
        try await pool.sweep()
        #expect(try await pool.members().map(\.runID) == ["planner"], "the crashed worker is gone")

        // Its replacement, under a new run id, and another worker take everything left, once each.
        try await pool.join(F.member("w1-restarted", topics: ["tasks"]))
        try await pool.join(F.member("w2", topics: ["tasks"]))
        var claimedBy: [MessageID: RunID] = [:]
        var turn = 0
        while let claimed = try await pool.claimNext(turn % 2 == 0 ? "w1-restarted" : "w2", leaseMillis: 5_000) {
            #expect(claimedBy[claimed.message.messageID] == nil, "\(claimed.message.messageID) claimed twice")
            claimedBy[claimed.message.messageID] = claimed.claim.runID
            _ = try await pool.complete(claimed.message.messageID, run: claimed.claim.runID, token: claimed.token)
            turn += 1
        }
        #expect(Set(claimedBy.keys) == Set(["t2", "t3", "t4", "t5", "t6"]))
        #expect(claimedBy[second.message.messageID] != nil, "the task the crashed worker held is taken over")
        #expect(Set(claimedBy.values) == Set(["w1-restarted", "w2"]))
        for index in 1...6 {
            #expect(try await pool.receipt("t\(index)").status == .responded, "t\(index)")
        }
    }

    static func queuedWorkGoesToNoInboxAndOnlyToMembersItsAddressSelects(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [
            F.member("planner"), F.member("reviewer", agent: "reviewers"), F.member("outsider", topics: ["other"]),
        ])
        let pool = fixture.pool
        try await pool.send(task("t1"))
        try await pool.send(Message(messageID: "r1", from: "planner", to: .agent("reviewers"), contentRef: "review",
                                    idempotencyKey: "r1", queued: true))
        #expect(try await pool.claimNext("outsider", leaseMillis: 1_000) == nil, "not subscribed to tasks, not a reviewer")
        try await pool.join(F.member("worker", topics: ["tasks"]))
        #expect(try await pool.inbox("worker").isEmpty, "queued work is claimed, not delivered")
        #expect(try await pool.claimNext("worker", from: .agent("reviewers"), leaseMillis: 1_000) == nil)
        let claimed = try #require(try await pool.claimNext("worker", leaseMillis: 1_000))
        #expect(claimed.message.messageID == "t1" && claimed.message.queued)
        #expect(try await pool.claimNext("reviewer", leaseMillis: 1_000)?.message.messageID == "r1")
    }

    static func queuedWorkIsAnsweredByTheRunThatClaimedItWithItsToken(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner"), F.member("w1", topics: ["tasks"]), F.member("w2", topics: ["tasks"])])
        let pool = fixture.pool
        try await pool.send(task("t1"))
        let answer = Message(messageID: "a1", from: "w2", to: .run("planner"), body: .string("done"), idempotencyKey: "a1")
        let count = try await fixture.logCount()
        #expect(await agentPoolError { try await pool.reply(to: "t1", with: answer) }?.kind == .invalidInput, "nobody claimed it")
        let claimed = try #require(try await pool.claimNext("w1", leaseMillis: 1_000))
        #expect(await agentPoolError { try await pool.reply(to: "t1", with: answer, claimToken: claimed.token) }?.kind == .staleClaim,
                "w2 does not hold it")
        var fromHolder = answer
        fromHolder.from = "w1"
        #expect(await agentPoolError { try await pool.reply(to: "t1", with: fromHolder) }?.kind == .staleClaim, "no token")
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.reply(to: "t1", with: fromHolder, claimToken: claimed.token).status == .delivered)
        let original = try await pool.receipt("t1")
        #expect(original.status == .responded && original.respondedBy == ["w1"])
        #expect(try await pool.claim("t1")?.status == .done)
    }

    static func queuedWorkNobodyTakesBeforeItsExpiryBecomesADeadLetter(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner")])
        let pool = fixture.pool
        let now = fixture.clock.nowMillis()
        try await pool.send(task("t1", expiresAt: now + 1_000))
        try await pool.send(task("t2", expiresAt: now + 1_000))
        try await pool.send(task("t3"))
        fixture.clock.advance(by: 1_000)
        // A sweep (any write) records t1 and t2 as dead letters, never claimed by anyone.
        try await pool.sweep()
        for id in ["t1", "t2"] {
            let receipt = try await pool.receipt(id)
            #expect(receipt.status == .failed && receipt.reason == "expired", "\(id): \(receipt)")
        }
        #expect(try await pool.deadLetters().map(\.message.messageID) == ["t1", "t2"])
        // A worker joining now gets only the live task.
        try await pool.join(F.member("w1", topics: ["tasks"]))
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000)?.message.messageID == "t3")
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000) == nil)
        // Re-sent, the copy drops the expiry that passed and is claimable.
        #expect(try await pool.resend("t1").status == .delivered)
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000)?.message.messageID == "t1-resent")
    }

    static func aClaimerMeetingExpiredQueuedWorkDeadLettersItInsteadOfClaimingIt(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner"), F.member("w1", topics: ["tasks"])])
        let pool = fixture.pool
        try await pool.send(task("t1", expiresAt: fixture.clock.nowMillis() + 500))
        try await pool.send(task("t2"))
        fixture.clock.advance(by: 500)
        // claimNext sweeps first; either way t1 is not handed out and ends as a dead letter.
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000)?.message.messageID == "t2")
        #expect(try await pool.receipt("t1").reason == "expired")
        #expect(try await pool.deadLetters().map(\.claim.status) == [.deadLetter])
    }

    static func aPlainSendToATopicWithNoSubscriberStillFailsAndSaysSo(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner")])
        let receipt = try await fixture.pool.send(F.message("m", from: "planner", to: .topic("tasks")))
        #expect(receipt.status == .failed && receipt.reason == "no_recipient")
    }
}

extension Conformance {
    static let queue: [ConformanceCheck] = [
        ConformanceCheck("Queue", "tasksQueuedBeforeAnyWorkerJoinedAreClaimedOnceEachByWorkersThatJoinLater",
                         QueueChecks.tasksQueuedBeforeAnyWorkerJoinedAreClaimedOnceEachByWorkersThatJoinLater),
        ConformanceCheck("Queue", "queuedWorkGoesToNoInboxAndOnlyToMembersItsAddressSelects",
                         QueueChecks.queuedWorkGoesToNoInboxAndOnlyToMembersItsAddressSelects),
        ConformanceCheck("Queue", "queuedWorkIsAnsweredByTheRunThatClaimedItWithItsToken",
                         QueueChecks.queuedWorkIsAnsweredByTheRunThatClaimedItWithItsToken),
        ConformanceCheck("Queue", "queuedWorkNobodyTakesBeforeItsExpiryBecomesADeadLetter",
                         QueueChecks.queuedWorkNobodyTakesBeforeItsExpiryBecomesADeadLetter),
        ConformanceCheck("Queue", "aClaimerMeetingExpiredQueuedWorkDeadLettersItInsteadOfClaimingIt",
                         QueueChecks.aClaimerMeetingExpiredQueuedWorkDeadLettersItInsteadOfClaimingIt),
        ConformanceCheck("Queue", "aPlainSendToATopicWithNoSubscriberStillFailsAndSaysSo",
                         QueueChecks.aPlainSendToATopicWithNoSubscriberStillFailsAndSaysSo),
    ]
}
