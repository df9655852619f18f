import AgentPool
import Testing

/// `reply`, `cancel` and response timeouts: the message status machine.
enum ReplyAndCancelChecks {
    typealias F = CoordinatorFixture

    static let members = [F.member("asker"), F.member("r1", agent: "helper"), F.member("r2", agent: "helper"), F.member("r3", agent: "helper")]

    static func theOriginalIsRespondedOnceTheExpectedNumberOfDistinctRecipientsReplied(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("ask", from: "asker", to: .agent("helper"), expected: 2))

        let firstReply = try await fixture.pool.reply(to: "ask", with: F.message("re1", from: "r1", to: .run("asker")))
        #expect(firstReply.status == .delivered)
        var original = try await fixture.pool.receipt("ask")
        #expect(original.status == .delivered)
        #expect(original.respondedBy == ["r1"])

        // A second reply from the same recipient does not count twice.
        try await fixture.pool.reply(to: "ask", with: F.message("re1b", from: "r1", to: .run("asker")))
        #expect(try await fixture.pool.receipt("ask").status == .delivered)

        try await fixture.pool.reply(to: "ask", with: F.message("re2", from: "r2", to: .run("asker")))
        original = try await fixture.pool.receipt("ask")
        #expect(original.status == .responded)
        #expect(original.respondedBy == ["r1", "r2"])
        let stored = try await fixture.context.store.read("pool") { try $0.message("re2") }
        #expect(stored?.message.replyTo == "ask")
    }

    static func oneReplyIsEnoughByDefaultAndRepeatingAReplyWritesNothing(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("ask", from: "asker", to: .run("r1")))
        let reply = F.message("re", from: "r1", to: .run("asker"))
        let receipt = try await fixture.pool.reply(to: "ask", with: reply)
        #expect(try await fixture.pool.receipt("ask").status == .responded)
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.reply(to: "ask", with: reply) == receipt)
        #expect(try await fixture.logCount() == count)
    }

    static func repliesAreRefusedFromNonRecipientsToUnknownOrClosedMessages(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("ask", from: "asker", to: .run("r1")))
        try await fixture.pool.send(F.message("gone", from: "asker", to: .run("r1")))
        try await fixture.pool.cancel("gone")
        let count = try await fixture.logCount()
        let outsider = await agentPoolError { _ = try await fixture.pool.reply(to: "ask", with: F.message("x1", from: "r2", to: .run("asker"))) }
        #expect(outsider?.kind == .invalidInput)
        let unknown = await agentPoolError { _ = try await fixture.pool.reply(to: "nope", with: F.message("x2", from: "r1", to: .run("asker"))) }
        #expect(unknown?.kind == .notFound)
        let closed = await agentPoolError { _ = try await fixture.pool.reply(to: "gone", with: F.message("x3", from: "r1", to: .run("asker"))) }
        #expect(closed?.kind == .invalidStateTransition)
        #expect(try await fixture.logCount() == count)
    }

    static func cancelMovesAnOpenMessageToCancelledAndLeavesAFinalOneAsItIs(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("m", from: "asker", to: .run("r1")))
        let cancelled = try await fixture.pool.cancel("m")
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.deliveredTo == ["r1"])
        let count = try await fixture.logCount()
        #expect(try await fixture.pool.cancel("m") == cancelled)
        let failed = try await fixture.pool.send(F.message("f", from: "asker", to: .run("ghost")))
        #expect(try await fixture.pool.cancel("f") == failed)
        #expect(try await fixture.logCount() == count + 1)
        #expect(await agentPoolError { _ = try await fixture.pool.cancel("unknown") }?.kind == .notFound)
    }

    static func aDeliveredMessageTimesOutAtItsResponseDeadlineOnTheNextWrite(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        let sent = try await fixture.pool.send(F.message("m", from: "asker", to: .run("r1"), timeout: 1_000))
        #expect(sent.responseDeadlineMillis == fixture.clock.nowMillis() + 1_000)
        fixture.clock.advance(by: 999)
        try await fixture.pool.join(F.member("late"))
        #expect(try await fixture.pool.receipt("m").status == .delivered)
        fixture.clock.advance(by: 1)
        try await fixture.pool.join(F.member("later"))
        let timedOut = try await fixture.pool.receipt("m")
        #expect(timedOut.status == .timedOut)
        #expect(timedOut.reason == "response_timeout")
        // First terminal wins: a reply now is refused.
        let late = await agentPoolError { _ = try await fixture.pool.reply(to: "m", with: F.message("re", from: "r1", to: .run("asker"))) }
        #expect(late?.kind == .invalidStateTransition)
    }

    static func aRespondedMessageDoesNotTimeOut(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.members)
        try await fixture.pool.send(F.message("m", from: "asker", to: .run("r1"), timeout: 100))
        try await fixture.pool.reply(to: "m", with: F.message("re", from: "r1", to: .run("asker")))
        fixture.clock.advance(by: 500)
        try await fixture.pool.join(F.member("x"))
        #expect(try await fixture.pool.receipt("m").status == .responded)
    }
}

extension Conformance {
    static let replyAndCancel: [ConformanceCheck] = [
        ConformanceCheck("ReplyAndCancel", "theOriginalIsRespondedOnceTheExpectedNumberOfDistinctRecipientsReplied", ReplyAndCancelChecks.theOriginalIsRespondedOnceTheExpectedNumberOfDistinctRecipientsReplied),
        ConformanceCheck("ReplyAndCancel", "oneReplyIsEnoughByDefaultAndRepeatingAReplyWritesNothing", ReplyAndCancelChecks.oneReplyIsEnoughByDefaultAndRepeatingAReplyWritesNothing),
        ConformanceCheck("ReplyAndCancel", "repliesAreRefusedFromNonRecipientsToUnknownOrClosedMessages", ReplyAndCancelChecks.repliesAreRefusedFromNonRecipientsToUnknownOrClosedMessages),
        ConformanceCheck("ReplyAndCancel", "cancelMovesAnOpenMessageToCancelledAndLeavesAFinalOneAsItIs", ReplyAndCancelChecks.cancelMovesAnOpenMessageToCancelledAndLeavesAFinalOneAsItIs),
        ConformanceCheck("ReplyAndCancel", "aDeliveredMessageTimesOutAtItsResponseDeadlineOnTheNextWrite", ReplyAndCancelChecks.aDeliveredMessageTimesOutAtItsResponseDeadlineOnTheNextWrite),
        ConformanceCheck("ReplyAndCancel", "aRespondedMessageDoesNotTimeOut", ReplyAndCancelChecks.aRespondedMessageDoesNotTimeOut),
    ]
}
