import AgentPool
import Testing

/// The log itself: gapless order, paging, atomic multi-append writes, bad input.
enum LogChecks {
    typealias F = Fixtures

    static func seqsAreGaplessAndPagesFollowEachOtherInOrder(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        for index in 0..<20 {
            context.clock.advance(by: 3)
            try await context.store.join(F.pool, F.member("run-\(index)"))
        }
        let all = try await context.store.records(F.pool, after: 0, limit: 100)
        #expect(all.map(\.seq) == Array(1...21))
        #expect(all.map(\.recordedAt) == all.map(\.recordedAt).sorted())
        let page = try await context.store.records(F.pool, after: 5, limit: 4)
        #expect(page.map(\.seq) == [6, 7, 8, 9])
        #expect(try await context.store.records(F.pool, after: 21, limit: 4).isEmpty)
        #expect(try await F.log(context.store) == all)
    }

    static func badPagingArgumentsAreInvalidInput(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        #expect(await agentPoolError { _ = try await context.store.records(F.pool, after: -1) }?.field == "after")
        #expect(await agentPoolError { _ = try await context.store.records(F.pool, limit: 0) }?.field == "limit")
    }

    static func severalAppendsInOneWriteCommitTogetherAndReadsSeeEarlierAppends(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let seen = try await context.store.write(F.pool) { tx in
            try tx.join(F.member("r1"))
            try tx.join(F.member("r2"))
            return (try tx.members().count, try tx.info()?.cursor)
        }
        #expect(seen.0 == 2)
        #expect(seen.1 == 3)
        #expect(try await context.store.snapshot(F.pool).cursor == 3)
    }

    struct Abort: Error {}

    static func aWriteWhoseBodyThrowsWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let before = try await context.store.snapshot(F.pool)
        await #expect(throws: Abort.self) {
            try await context.store.write(F.pool) { tx in
                try tx.join(F.member("r1"))
                try tx.recordMessage(F.stored(F.message("m1"), .accepted))
                try tx.recordWake(F.wake("w1"))
                throw Abort()
            }
        }
        #expect(try await context.store.snapshot(F.pool) == before)
        #expect(try await F.log(context.store).count == 1)
        #expect(try await context.store.message(F.pool, forKey: "key-m1") == nil)
        // The next write takes the seq the aborted one did not keep.
        #expect(try await context.store.join(F.pool, F.member("r1"))?.seq == 2)
    }

    static let badIDs: [(String, String)] = [
        ("", "empty"),
        (String(repeating: "é", count: 129), "257 UTF-8 bytes"),
        ("run\u{0}x", "NUL"),
        ("line\nbreak", "newline"),
        ("tab\there", "tab"),
        ("del\u{7F}", "DEL"),
    ]

    static func everyMalformedIdIsInvalidInputNamingItsFieldAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        let store = context.store
        try await store.openPool(F.pool)
        try await store.join(F.pool, F.member("ok"))
        let ok = String(repeating: "é", count: 128)  // exactly 256 bytes: accepted
        try await store.join(F.pool, F.member(ok))
        for (bad, why) in Self.badIDs {
            var message = F.message("m")
            let cases: [(String, () async throws -> Void)] = [
                ("pool_id", { try await store.openPool(bad) }),
                ("pool_id", { _ = try await store.snapshot(bad) }),
                ("member.run_id", { try await store.join(F.pool, F.member(bad)) }),
                ("member.agent_id", { try await store.join(F.pool, F.member("r", agent: bad)) }),
                ("member.topics[1]", { try await store.join(F.pool, F.member("r", topics: ["a", bad])) }),
                ("member.policy_refs[0]", { try await store.join(F.pool, F.member("r", refs: [bad])) }),
                ("run_id", { try await store.leave(F.pool, run: bad) }),
                ("message.message_id", { message.messageID = bad; try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("message.from", { message = F.message("m", from: bad); try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("message.to.target.run_id", { message = F.message("m", to: .run(bad)); try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("message.to.target.topic_id", { message = F.message("m", to: .topic(bad)); try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("message.idempotency_key", { message = F.message("m", key: bad); try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("message.content_ref", { message = F.message("m", content: bad); try await store.recordMessage(F.pool, F.stored(message, .accepted)) }),
                ("receipt.delivered_to[0]", { try await store.recordMessage(F.pool, F.stored(F.message("m"), .failed, to: [bad])) }),
                ("condition.condition_id", { try await store.recordWake(F.pool, F.wake(bad)) }),
                ("condition.run_id", { try await store.recordWake(F.pool, F.wake("w", run: bad)) }),
                ("condition.idempotency_key", { try await store.recordWake(F.pool, F.wake("w", key: bad)) }),
                ("idempotency_key", { _ = try await store.message(F.pool, forKey: bad) }),
                ("config.policy_refs[0]", { try await store.openPool("other", config: PoolConfig(policyRefs: [bad])) }),
            ]
            for (field, operation) in cases {
                let error = await agentPoolError(operation)
                #expect(error?.kind == .invalidInput, "\(field) \(why)")
                #expect(error?.field == field, "\(field) \(why)")
            }
        }
        #expect(try await F.log(store).count == 3)
        #expect(try await store.pools().map(\.poolID) == [F.pool])
    }

    static func aReceiptForAnotherMessageIsInvalidInput(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let stored = StoredMessage(message: F.message("m1"), receipt: Receipt(messageID: "m2", status: .accepted))
        let error = await agentPoolError { try await context.store.recordMessage(F.pool, stored) }
        #expect(error?.field == "receipt.message_id")
        #expect(try await F.log(context.store).count == 1)
    }

    /// A writer whose clock reads earlier than the pool's last record stamps its records with
    /// that record's time: `recorded_at` never goes backwards within a pool (issue 20, item 3).
    static func recordedAtNeverGoesBackwardsWithinAPool(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        context.clock.set(1_000_000)
        try await context.store.openPool(F.pool)
        context.clock.set(1_000_000 - 86_400_000)  // a day back
        try await context.store.join(F.pool, Member(runID: "a", agentID: "agent"))
        context.clock.set(1_000_500)
        try await context.store.join(F.pool, Member(runID: "b", agentID: "agent"))
        let times = try await F.log(context.store).map(\.recordedAt)
        #expect(times == [1_000_000, 1_000_000, 1_000_500])
    }
}

extension Conformance {
    static let log: [ConformanceCheck] = [
        ConformanceCheck("Log", "seqsAreGaplessAndPagesFollowEachOtherInOrder", LogChecks.seqsAreGaplessAndPagesFollowEachOtherInOrder),
        ConformanceCheck("Log", "badPagingArgumentsAreInvalidInput", LogChecks.badPagingArgumentsAreInvalidInput),
        ConformanceCheck("Log", "severalAppendsInOneWriteCommitTogetherAndReadsSeeEarlierAppends", LogChecks.severalAppendsInOneWriteCommitTogetherAndReadsSeeEarlierAppends),
        ConformanceCheck("Log", "aWriteWhoseBodyThrowsWritesNothing", LogChecks.aWriteWhoseBodyThrowsWritesNothing),
        ConformanceCheck("Log", "recordedAtNeverGoesBackwardsWithinAPool", LogChecks.recordedAtNeverGoesBackwardsWithinAPool),
        ConformanceCheck("Log", "everyMalformedIdIsInvalidInputNamingItsFieldAndWritesNothing", LogChecks.everyMalformedIdIsInvalidInputNamingItsFieldAndWritesNothing),
        ConformanceCheck("Log", "aReceiptForAnotherMessageIsInvalidInput", LogChecks.aReceiptForAnotherMessageIsInvalidInput),
    ]
}
