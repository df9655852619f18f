import AgentPool
import Testing

/// Durable consumer cursors and whole-pool imports, on every backend.
enum ConsumerAndImportChecks {
    typealias F = Fixtures

    static func acksMoveForwardOnlyAndDoNotGrowTheLog(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        for run in ["a", "b", "c"] { try await context.store.join(F.pool, F.member(run)) }
        let ack = { (name: String, cursor: Seq) in try await context.store.write(F.pool) { try $0.ack(consumer: name, cursor: cursor) } }
        #expect(try await ack("indexer", 3) == 3)
        #expect(try await ack("indexer", 2) == 3)
        #expect(try await ack("mailer", 1) == 1)
        let consumers = try await context.store.read(F.pool) { try $0.consumers() }
        #expect(consumers.map(\.name) == ["indexer", "mailer"])
        #expect(consumers.map(\.cursor) == [3, 1])
        #expect(try await F.log(context.store).count == 4)
    }

    static func anAckPastThePoolsCursorOrWithABadNameIsInvalidInput(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let future = await agentPoolError { _ = try await context.store.write(F.pool) { try $0.ack(consumer: "c", cursor: 2) } }
        #expect(future?.field == "cursor")
        let badName = await agentPoolError { _ = try await context.store.write(F.pool) { try $0.ack(consumer: "", cursor: 1) } }
        #expect(badName?.field == "consumer")
        #expect(try await context.store.read(F.pool) { try $0.consumers() }.isEmpty)
    }

    static func aConsumersCursorSurvivesAReopen(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        try await context.store.join(F.pool, F.member("a"))
        _ = try await context.store.write(F.pool) { try $0.ack(consumer: "c", cursor: 2) }
        try await context.reopen()
        #expect(try await context.store.read(F.pool) { try $0.consumer("c")?.cursor } == 2)
    }

    static func importingAPoolPreservesItsRecordsSeqsAndTimes(_ harness: StoreFactory) async throws {
        let source = try await StoreFactory.inMemory.makeContext()
        var rng = SeededGenerator(seed: 11)
        try await source.store.openPool("src")
        for _ in 0..<200 {
            source.clock.advance(by: 7)
            await RandomOperation.random(using: &rng).apply(to: source.store, pool: "src")
        }
        let records = try await F.log(source.store, "src")
        let destination = try await harness.makeContext()
        try await destination.store.importPool(records)
        #expect(try await F.log(destination.store, "src") == records)
        #expect(try await destination.store.snapshot("src") == (try await source.store.snapshot("src")))
    }

    static func importRefusesAnExistingPoolOrAMalformedLogAndWritesNothing(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        try await context.store.openPool(F.pool)
        let opened = PoolRecord(poolID: F.pool, seq: 1, recordedAt: 5, payload: .poolOpened(PoolConfig()))
        let exists = await agentPoolError { try await context.store.importPool([opened]) }
        #expect(exists?.kind == .poolExists)

        let other = "imported"
        let gap = [PoolRecord(poolID: other, seq: 1, recordedAt: 5, payload: .poolOpened(PoolConfig())),
                   PoolRecord(poolID: other, seq: 3, recordedAt: 6, payload: .poolCreated)]
        #expect(await agentPoolError { try await context.store.importPool(gap) }?.kind == .corruptRecord)
        let mixed = [gap[0], PoolRecord(poolID: "x", seq: 2, recordedAt: 6, payload: .poolCreated)]
        #expect(await agentPoolError { try await context.store.importPool(mixed) }?.kind == .invalidInput)
        #expect(await agentPoolError { try await context.store.importPool([]) }?.kind == .invalidInput)
        #expect(try await context.store.pools().map(\.poolID) == [F.pool])
        #expect(try await F.log(context.store).count == 1)
    }

    /// An import checks every record exactly as the API would check the call that wrote it: an
    /// empty or oversized id, a control character or NUL, an oversized content ref, a body over the
    /// pool's limit are each refused naming the seq, with nothing written (issue 20, item 6).
    static func importValidatesEveryRecordAsTheAPIWouldAndWritesNothing(_ harness: StoreFactory) async throws {
        let source = try await StoreFactory.inMemory.makeContext()
        var config = PoolConfig()
        config.messagePolicy.maxBodyBytes = 64
        try await source.store.openPool("src", config: config)
        try await source.store.join("src", Member(runID: "a", agentID: "agent"))
        _ = try await source.store.write("src") { tx in
            try tx.recordMessage(StoredMessage(
                message: Message(messageID: "m", from: "a", to: .run("a"), contentRef: "ref", body: .string("ok"), idempotencyKey: "k"),
                receipt: Receipt(messageID: "m", status: .accepted)))
        }
        let records = try await F.log(source.store, "src")
        guard records.count == 3, case .memberJoined(let member) = records[1].payload,
              case .runMessage(let stored) = records[2].payload else {
            Issue.record("unexpected source log: \(records.map(\.kind))"); return
        }
        func withMember(_ change: (inout Member) -> Void) -> [PoolRecord] {
            var copy = records, changed = member
            change(&changed)
            copy[1].payload = .memberJoined(changed)
            return copy
        }
        func withMessage(_ change: (inout Message) -> Void) -> [PoolRecord] {
            var copy = records, changed = stored
            change(&changed.message)
            changed.receipt.messageID = changed.message.messageID
            copy[2].payload = .runMessage(changed)
            return copy
        }
        let cases: [(String, [PoolRecord], Seq, String)] = [
            ("empty run id", withMember { $0.runID = "" }, 2, "member.run_id"),
            ("control character", withMember { $0.agentID = "agent\u{7}" }, 2, "member.agent_id"),
            ("100 kB run id", withMember { $0.runID = String(repeating: "r", count: 100_000) }, 2, "member.run_id"),
            ("NUL in a message id", withMessage { $0.messageID = "m\u{0}" }, 3, "message.message_id"),
            ("1 MB content ref", withMessage { $0.contentRef = String(repeating: "c", count: 1 << 20) }, 3, "message.content_ref"),
            ("body over the pool's limit", withMessage { $0.body = .string(String(repeating: "b", count: 100)) }, 3, "message.body"),
            ("id not in NFC", withMessage { $0.from = "cafe\u{301}" }, 3, "message.from"),
        ]
        let context = try await harness.makeContext()
        for (what, log, seq, field) in cases {
            let error = await agentPoolError { try await context.store.importPool(log) }
            #expect(error?.kind == .invalidInput, "\(what): \(String(describing: error))")
            #expect(error?.field == field, "\(what): \(String(describing: error?.field))")
            #expect(error?.message.contains("record seq \(seq)") == true, "\(what): \(String(describing: error?.message.prefix(200)))")
            #expect(try await context.store.pools().isEmpty, "\(what)")
        }
        // The untouched log imports.
        try await context.store.importPool(records)
        #expect(try await F.log(context.store, "src") == records)
    }
}

extension Conformance {
    static let consumerAndImport: [ConformanceCheck] = [
        ConformanceCheck("ConsumerAndImport", "acksMoveForwardOnlyAndDoNotGrowTheLog", ConsumerAndImportChecks.acksMoveForwardOnlyAndDoNotGrowTheLog),
        ConformanceCheck("ConsumerAndImport", "anAckPastThePoolsCursorOrWithABadNameIsInvalidInput", ConsumerAndImportChecks.anAckPastThePoolsCursorOrWithABadNameIsInvalidInput),
        ConformanceCheck("ConsumerAndImport", "aConsumersCursorSurvivesAReopen", requiresPersistence: true, ConsumerAndImportChecks.aConsumersCursorSurvivesAReopen),
        ConformanceCheck("ConsumerAndImport", "importingAPoolPreservesItsRecordsSeqsAndTimes", ConsumerAndImportChecks.importingAPoolPreservesItsRecordsSeqsAndTimes),
        ConformanceCheck("ConsumerAndImport", "importRefusesAnExistingPoolOrAMalformedLogAndWritesNothing", ConsumerAndImportChecks.importRefusesAnExistingPoolOrAMalformedLogAndWritesNothing),
        ConformanceCheck("ConsumerAndImport", "importValidatesEveryRecordAsTheAPIWouldAndWritesNothing", ConsumerAndImportChecks.importValidatesEveryRecordAsTheAPIWouldAndWritesNothing),
    ]
}
