import AgentPool
import Testing

/// Payloads: a message carries its content inline as a JSON body, bounded by the pool's limit,
/// and the body travels unchanged through every read, on every backend.
enum PayloadChecks {
    typealias F = CoordinatorFixture

    /// A JSON object of about `bytes` bytes with awkward text (quotes, escapes, non-ASCII).
    static func body(bytes: Int) -> JSONValue {
        let unit = "é日本\"q\"\\\n😀 plain text "
        let text = String(repeating: unit, count: max(1, bytes / unit.utf8.count))
        return .object(["text": .string(text), "n": .integer(42), "x": .number(0.5), "list": .array([.bool(true), .null])])
    }

    static func aMessageWith64KiBBodyRoundTripsThroughSendInboxReplyAndTheLog(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner"), F.member("writer")])
        let request = body(bytes: 64 * 1024)
        let answer = body(bytes: 64 * 1024 - 100)
        try await fixture.pool.send(Message(messageID: "ask", from: "planner", to: .run("writer"), body: request, idempotencyKey: "ask"))

        let inbox = try await fixture.pool.inbox("writer")
        #expect(inbox.map(\.message.body) == [request])
        #expect(inbox.first?.message.contentRef == "")
        let receipt = try await fixture.pool.reply(to: "ask", with: Message(
            messageID: "answer", from: "writer", to: .run("planner"), body: answer, idempotencyKey: "answer"))
        #expect(receipt.status == .delivered)
        #expect(try await fixture.pool.inbox("planner").map(\.message.body) == [answer])
        #expect(try await fixture.pool.receipt("ask").status == .responded)

        // The log (what `tail` prints) and the snapshot carry both bodies unchanged.
        let bodies = try await fixture.log().compactMap { record -> JSONValue? in
            if case .runMessage(let stored) = record.payload { return stored.message.body }
            return nil
        }
        #expect(bodies.contains(request) && bodies.contains(answer))
        let snapshot = try await fixture.pool.snapshot()
        #expect(snapshot.messages.first { $0.message.messageID == "ask" }?.message.body == request)
        #expect(snapshot.messages.first { $0.message.messageID == "answer" }?.message.body == answer)
        // Sending it again (a retry) returns the same receipt and writes nothing.
        let count = try await fixture.logCount()
        try await fixture.pool.send(Message(messageID: "ask", from: "planner", to: .run("writer"), body: request, idempotencyKey: "ask"))
        #expect(try await fixture.logCount() == count)
    }

    static func aBodyOverThePoolsLimitIsRefusedWithNothingWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let count = try await fixture.logCount()
        let big = JSONValue.string(String(repeating: "x", count: MessagePolicy.defaultMaxBodyBytes))  // + 2 quotes
        let error = await agentPoolError {
            try await fixture.pool.send(Message(messageID: "big", from: "a", to: .run("b"), body: big, idempotencyKey: "big"))
        }
        #expect(error?.kind == .invalidInput)
        #expect(error?.message.contains("message.body is \(MessagePolicy.defaultMaxBodyBytes + 2) bytes") == true)
        #expect(try await fixture.logCount() == count)
        // Exactly at the limit is accepted.
        let fits = JSONValue.string(String(repeating: "x", count: MessagePolicy.defaultMaxBodyBytes - 2))
        #expect(try await fixture.pool.send(Message(messageID: "fits", from: "a", to: .run("b"), body: fits, idempotencyKey: "fits")).status == .delivered)
    }

    static func aPoolSetsItsOwnBodyLimitAndAReplyIsBoundByIt(_ harness: StoreFactory) async throws {
        let config = PoolConfig(messagePolicy: MessagePolicy(maxBodyBytes: 100))
        let fixture = try await F.make(harness, config: config, members: [F.member("a"), F.member("b")])
        try await fixture.pool.send(Message(messageID: "m", from: "a", to: .run("b"), body: .string("short"), idempotencyKey: "m"))
        let count = try await fixture.logCount()
        let error = await agentPoolError {
            try await fixture.pool.reply(to: "m", with: Message(messageID: "r", from: "b", to: .run("a"),
                                                                  body: .string(String(repeating: "y", count: 99)), idempotencyKey: "r"))
        }
        #expect(error?.kind == .invalidInput && error?.field == "message.body")
        #expect(try await fixture.logCount() == count)
        #expect(try await fixture.pool.receipt("m").status == .delivered)
        // The limit is part of the config: opening the pool with the default limit is a conflict.
        #expect(await agentPoolError { try await fixture.pool.open() }?.kind == .configConflict)
        #expect(try await fixture.pool.snapshot().config.messagePolicy.maxBodyBytes == 100)
    }

    static func malformedBodiesAndCorrelationsAreRefusedWithNothingWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let count = try await fixture.logCount()
        var deep = JSONValue.integer(1)
        for _ in 0..<65 { deep = .array([deep]) }
        var fine = JSONValue.integer(1)
        for _ in 0..<64 { fine = .object(["k": fine]) }
        let cases: [(Message, String)] = [
            (Message(messageID: "n", from: "a", to: .run("b"), body: .null, idempotencyKey: "n"), "message.body"),
            (Message(messageID: "d", from: "a", to: .run("b"), body: deep, idempotencyKey: "d"), "message.body"),
            (Message(messageID: "c", from: "a", to: .run("b"), contentRef: "c", idempotencyKey: "c",
                     correlation: ["big": .string(String(repeating: "z", count: Message.maxCorrelationBytes))]), "message.correlation"),
            (Message(messageID: "e", from: "a", to: .run("b"), idempotencyKey: "e"), "message.content_ref"),
            (Message(messageID: "q", from: "a", to: .run("b"), contentRef: "c", idempotencyKey: "q", replyTo: "x", queued: true), "message.queue"),
        ]
        for (message, field) in cases {
            let error = await agentPoolError { try await fixture.pool.send(message) }
            #expect(error?.kind == .invalidInput, "\(message.messageID)")
            #expect(error?.field == field, "\(message.messageID): \(String(describing: error))")
        }
        #expect(try await fixture.logCount() == count)
        #expect(try await fixture.pool.send(Message(messageID: "ok", from: "a", to: .run("b"), body: fine, idempotencyKey: "ok")).status == .delivered)
    }

    /// A whole-number double (`1.0`, `-0.0`) is stored as the integer its JSON reads back as, so an
    /// identical retry is a repeat, not an `idempotencyConflict` (issue 20, item 5).
    static func aRetryWithWholeNumberDoublesIsTheSameMessage(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let correlation: [String: JSONValue] = ["one": .number(1.0), "zero": .number(-0.0), "big": .number(0x1p62),
                                                "nested": .array([.object(["two": .number(2.0)])]), "half": .number(0.5),
                                                "huge": .number(0x1p63)]
        let body = JSONValue.object(["count": .number(3.0), "ratio": .number(-0.0)])
        func send() async throws -> Receipt {
            try await fixture.pool.send(Message(messageID: "m", from: "a", to: .run("b"), body: body, idempotencyKey: "k",
                                                correlation: correlation))
        }
        let first = try await send()
        let count = try await fixture.logCount()
        #expect(try await send() == first)
        #expect(try await fixture.logCount() == count)
        // What is stored is the canonical form, the same through every read and the replay.
        let stored = try #require(try await fixture.pool.snapshot().messages.first { $0.message.messageID == "m" })
        #expect(stored.message.correlation?["one"] == .integer(1))
        #expect(stored.message.correlation?["zero"] == .integer(0))
        #expect(stored.message.correlation?["big"] == .integer(1 << 62))
        #expect(stored.message.correlation?["half"] == .number(0.5))
        #expect(stored.message.correlation?["huge"] == .number(0x1p63))
        #expect(stored.message.body == .object(["count": .integer(3), "ratio": .integer(0)]))
        #expect(try await fixture.pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
        // A different number is still a different message.
        let error = await agentPoolError {
            try await fixture.pool.send(Message(messageID: "m", from: "a", to: .run("b"), body: .object(["count": .number(3.5)]),
                                                idempotencyKey: "k", correlation: correlation))
        }
        #expect(error?.kind == .idempotencyConflict)
    }
}

extension Conformance {
    static let payload: [ConformanceCheck] = [
        ConformanceCheck("Payload", "aMessageWith64KiBBodyRoundTripsThroughSendInboxReplyAndTheLog",
                         PayloadChecks.aMessageWith64KiBBodyRoundTripsThroughSendInboxReplyAndTheLog),
        ConformanceCheck("Payload", "aBodyOverThePoolsLimitIsRefusedWithNothingWritten",
                         PayloadChecks.aBodyOverThePoolsLimitIsRefusedWithNothingWritten),
        ConformanceCheck("Payload", "aPoolSetsItsOwnBodyLimitAndAReplyIsBoundByIt",
                         PayloadChecks.aPoolSetsItsOwnBodyLimitAndAReplyIsBoundByIt),
        ConformanceCheck("Payload", "aRetryWithWholeNumberDoublesIsTheSameMessage",
                         PayloadChecks.aRetryWithWholeNumberDoublesIsTheSameMessage),
        ConformanceCheck("Payload", "malformedBodiesAndCorrelationsAreRefusedWithNothingWritten",
                         PayloadChecks.malformedBodiesAndCorrelationsAreRefusedWithNothingWritten),
    ]
}
