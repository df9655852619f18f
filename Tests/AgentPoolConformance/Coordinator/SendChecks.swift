import AgentPool
import Testing

/// `send`: recipients, policies, expiry, idempotency.
enum SendChecks {
    typealias F = CoordinatorFixture

    static let crew = [
        F.member("a1", agent: "alpha", topics: ["news"]), F.member("a2", agent: "alpha"),
        F.member("b1", agent: "beta", topics: ["news", "ops"]), F.member("sender", agent: "gamma", topics: ["news"]),
    ]

    static let addressCases: [(String, Address, Bool, [RunID])] = [
        ("run", .run("b1"), false, ["b1"]),
        ("agent", .agent("alpha"), false, ["a1", "a2"]),
        ("topic", .topic("news"), false, ["a1", "b1", "sender"]),
        ("pool without sender", .pool("pool"), false, ["a1", "a2", "b1"]),
        ("pool with sender by policy", .pool("pool"), true, ["a1", "a2", "b1", "sender"]),
    ]

    static func eachAddressKindDeliversToTheSortedResolvedRecipients(_ harness: StoreFactory, _ name: String) async throws {
        let (_, address, includeSender, expected) = Self.addressCases.first { $0.0 == name }!
        let config = PoolConfig(messagePolicy: MessagePolicy(includeSenderInPoolBroadcast: includeSender))
        let fixture = try await F.make(harness, config: config, members: Self.crew)
        let before = try await fixture.logCount()
        let receipt = try await fixture.pool.send(F.message("m", from: "sender", to: address))
        #expect(receipt.status == .delivered)
        #expect(receipt.deliveredTo == expected)
        let log = try await fixture.log()
        #expect(log.count == before + 2)
        let statuses = log.suffix(2).compactMap { record -> MessageStatus? in
            if case .runMessage(let stored) = record.payload { return stored.receipt.status }
            return nil
        }
        #expect(statuses == [.accepted, .delivered])
        #expect(receipt.cursor == log.last?.seq)
    }

    static func aMessageToNobodyFailsWithNoRecipient(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        for (id, address) in [("m1", Address.run("ghost")), ("m2", .agent("nobody")), ("m3", .topic("silence"))] {
            let receipt = try await fixture.pool.send(F.message(id, from: "sender", to: address))
            #expect(receipt.status == .failed)
            #expect(receipt.reason == "no_recipient")
            #expect(receipt.deliveredTo.isEmpty)
        }
    }

    static func aMessageMustCarryEveryPoolRequiredPolicyRef(_ harness: StoreFactory) async throws {
        let config = PoolConfig(messagePolicy: MessagePolicy(requiredPolicyRefs: ["audited", "signed"]))
        let fixture = try await F.make(harness, config: config, members: [F.member("s"), F.member("r", refs: ["audited", "signed"])])
        let refused = try await fixture.pool.send(F.message("m1", from: "s", to: .run("r"), refs: ["audited"]))
        #expect(refused.status == .failed)
        #expect(refused.reason?.contains("signed") == true)
        let accepted = try await fixture.pool.send(F.message("m2", from: "s", to: .run("r"), refs: ["signed", "audited"]))
        #expect(accepted.status == .delivered)
    }

    static func aRecipientMustHoldEveryPolicyRefTheMessageCarries(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [
            F.member("s"), F.member("cleared", topics: ["t"], refs: ["secret", "x"]), F.member("uncleared", topics: ["t"], refs: ["x"]),
        ])
        let receipt = try await fixture.pool.send(F.message("m1", from: "s", to: .topic("t"), refs: ["secret"]))
        #expect(receipt.deliveredTo == ["cleared"])
        let nobody = try await fixture.pool.send(F.message("m2", from: "s", to: .run("uncleared"), refs: ["secret"]))
        #expect(nobody.status == .failed)
    }

    static func sendingTheSameMessageAgainReturnsTheSameReceiptAndWritesNothing(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        let message = F.message("m", from: "sender", to: .agent("alpha"))
        let first = try await fixture.pool.send(message)
        let count = try await fixture.logCount()
        fixture.clock.advance(by: 10)
        let second = try await fixture.pool.send(message)
        #expect(second == first)
        #expect(try await fixture.logCount() == count)
    }

    static func aDifferentMessageUnderAUsedKeyOrAReusedMessageIdIsAnIdempotencyConflict(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        try await fixture.pool.send(F.message("m", from: "sender", to: .run("a1"), key: "k"))
        let count = try await fixture.logCount()
        let sameKey = await agentPoolError { _ = try await fixture.pool.send(F.message("other", from: "sender", to: .run("a1"), key: "k")) }
        #expect(sameKey?.kind == .idempotencyConflict)
        let changedContent = await agentPoolError { _ = try await fixture.pool.send(F.message("m", from: "sender", to: .run("a2"), key: "k")) }
        #expect(changedContent?.kind == .idempotencyConflict)
        let reusedID = await agentPoolError { _ = try await fixture.pool.send(F.message("m", from: "sender", to: .run("a1"), key: "k2")) }
        #expect(reusedID?.kind == .idempotencyConflict)
        #expect(try await fixture.logCount() == count)
    }

    static func aNonMemberSenderIsNotMemberAndNothingIsWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        let count = try await fixture.logCount()
        let error = await agentPoolError { _ = try await fixture.pool.send(F.message("m", from: "stranger", to: .run("a1"))) }
        #expect(error?.kind == .notMember)
        #expect(try await fixture.logCount() == count)
    }

    static func aMessageAtOrPastItsExpiryIsRecordedExpired(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        let now = fixture.clock.nowMillis()
        let expired = try await fixture.pool.send(F.message("m1", from: "sender", to: .run("a1"), expiresAt: now))
        #expect(expired.status == .expired)
        let live = try await fixture.pool.send(F.message("m2", from: "sender", to: .run("a1"), expiresAt: now + 1))
        #expect(live.status == .delivered)
    }

    static func aBroadcastToAnotherPoolIsInvalidInput(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        let error = await agentPoolError { _ = try await fixture.pool.send(F.message("m", from: "sender", to: .pool("elsewhere"))) }
        #expect(error?.field == "message.to.target.pool_id")
    }

    static func inboxReturnsDeliveriesToARunAfterACursorInOrder(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: Self.crew)
        try await fixture.pool.send(F.message("m1", from: "sender", to: .run("a1")))
        try await fixture.pool.send(F.message("m2", from: "sender", to: .run("b1")))
        try await fixture.pool.send(F.message("m3", from: "sender", to: .agent("alpha")))
        try await fixture.pool.send(F.message("m4", from: "sender", to: .run("ghost")))
        let inbox = try await fixture.pool.inbox("a1")
        #expect(inbox.map(\.message.messageID) == ["m1", "m3"])
        #expect(inbox.map(\.cursor) == inbox.map(\.cursor).sorted())
        let after = try await fixture.pool.inbox("a1", after: inbox[0].cursor)
        #expect(after.map(\.message.messageID) == ["m3"])
        #expect(try await fixture.pool.inbox("a1", limit: 1).map(\.message.messageID) == ["m1"])
        #expect(try await fixture.pool.inbox("nobody").isEmpty)
    }
}

extension Conformance {
    static let send: [ConformanceCheck] = SendChecks.addressCases.map { name, _, _, _ in
        ConformanceCheck("Send", "eachAddressKindDeliversToTheSortedResolvedRecipients(\(name))") {
            try await SendChecks.eachAddressKindDeliversToTheSortedResolvedRecipients($0, name)
        }
    } + [
        ConformanceCheck("Send", "aMessageToNobodyFailsWithNoRecipient", SendChecks.aMessageToNobodyFailsWithNoRecipient),
        ConformanceCheck("Send", "aMessageMustCarryEveryPoolRequiredPolicyRef", SendChecks.aMessageMustCarryEveryPoolRequiredPolicyRef),
        ConformanceCheck("Send", "aRecipientMustHoldEveryPolicyRefTheMessageCarries", SendChecks.aRecipientMustHoldEveryPolicyRefTheMessageCarries),
        ConformanceCheck("Send", "sendingTheSameMessageAgainReturnsTheSameReceiptAndWritesNothing", SendChecks.sendingTheSameMessageAgainReturnsTheSameReceiptAndWritesNothing),
        ConformanceCheck("Send", "aDifferentMessageUnderAUsedKeyOrAReusedMessageIdIsAnIdempotencyConflict", SendChecks.aDifferentMessageUnderAUsedKeyOrAReusedMessageIdIsAnIdempotencyConflict),
        ConformanceCheck("Send", "aNonMemberSenderIsNotMemberAndNothingIsWritten", SendChecks.aNonMemberSenderIsNotMemberAndNothingIsWritten),
        ConformanceCheck("Send", "aMessageAtOrPastItsExpiryIsRecordedExpired", SendChecks.aMessageAtOrPastItsExpiryIsRecordedExpired),
        ConformanceCheck("Send", "aBroadcastToAnotherPoolIsInvalidInput", SendChecks.aBroadcastToAnotherPoolIsInvalidInput),
        ConformanceCheck("Send", "inboxReturnsDeliveriesToARunAfterACursorInOrder", SendChecks.inboxReturnsDeliveriesToARunAfterACursorInOrder),
    ]
}
