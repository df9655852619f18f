@testable import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Testing

/// The hand-written message JSON is byte for byte the Codable encoding (one format, two writers).
@Suite struct MessageJSONWriterTests {
    static let awkward = ["plain", "", "quote\"d", "back\\slash", "slash/ok", "tab\tnew\nline\r", "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}",
                          "é日本😀", "\u{7f}\u{85}\u{2028}", "{\"json\":[1]}"]

    static func randomString(_ rng: inout SeededGenerator) -> String {
        if Bool.random(using: &rng) { return awkward.randomElement(using: &rng)! }
        let scalars = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
            Character(Unicode.Scalar(UInt32.random(in: 0...0x2FF, using: &rng)) ?? "x")
        }
        return String(scalars)
    }

    /// A random JSON value: scalars of every kind (awkward strings, integers, fractions), arrays
    /// and objects up to `depth` deep.
    static func randomBody(_ rng: inout SeededGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0...(depth > 0 ? 7 : 5), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer(Int64.random(in: .min ... .max, using: &rng))
        case 3: return .number(Double(Int.random(in: -1000...1000, using: &rng)) / 8)
        case 4, 5: return .string(randomString(&rng))
        case 6: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomBody(&rng, depth: depth - 1) })
        default:
            return .object(Dictionary((0..<Int.random(in: 0...3, using: &rng)).map { _ in
                (randomString(&rng), randomBody(&rng, depth: depth - 1)) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    static func randomStored(_ rng: inout SeededGenerator) -> StoredMessage {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        func list() -> [String] { (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomString(&rng) } }
        let targets: [AddressTarget] = [.run(randomString(&rng)), .agent(randomString(&rng)), .topic(randomString(&rng)), .pool(randomString(&rng))]
        let message = Message(
            messageID: randomString(&rng), from: randomString(&rng),
            to: Address(target: targets.randomElement(using: &rng)!, destinationRef: maybe(randomString(&rng)), relatedRefs: list()),
            contentRef: randomString(&rng), body: maybe(randomBody(&rng, depth: 3)), idempotencyKey: randomString(&rng),
            replyTo: maybe(randomString(&rng)),
            responseContract: maybe(ResponseContract(expectedResponses: maybe(Int.random(in: -5...5, using: &rng)),
                                                     timeoutMillis: maybe(Int64.random(in: .min ... .max, using: &rng)))),
            expiresAtMillis: maybe(Int64.random(in: .min ... .max, using: &rng)), policyRefs: list(),
            queued: Bool.random(using: &rng), notBeforeMillis: maybe(Int64.random(in: .min ... .max, using: &rng)),
            priority: Bool.random(using: &rng) ? 0 : Int.random(in: -1_000_000...1_000_000, using: &rng), after: list())
        let receipt = Receipt(messageID: randomString(&rng), status: MessageStatus.allCases.randomElement(using: &rng)!,
                              deliveredTo: list(), respondedBy: list(), responseDeadlineMillis: maybe(Int64.random(in: 0...1 << 50, using: &rng)),
                              reason: maybe(randomString(&rng)), cursor: maybe(Int64.random(in: 1...1 << 40, using: &rng)),
                              waitingFor: list())
        return StoredMessage(message: message, receipt: receipt)
    }

    @Test func theHandWrittenJSONEqualsTheCodableJSONOnRandomMessages() throws {
        var rng = SeededGenerator(seed: 0x150)
        for _ in 0..<3_000 {
            let stored = Self.randomStored(&rng)
            #expect(MessageJSONWriter.json(stored) == (try RecordCodec.encodeJSON(stored)))
        }
    }

    @Test func aWholeRecordsHandWrittenEnvelopeEqualsTheCodableJSON() throws {
        var rng = SeededGenerator(seed: 0x151)
        let member = Member(runID: "run/1", agentID: "agent \"a\"", topics: ["t/1"])
        for index in 0..<1_000 {
            let payloads: [RecordPayload] = [
                .runMessage(Self.randomStored(&rng)), .memberJoined(member), .memberLeft(member, reason: "lease_expired"),
                .poolCreated, .poolOpened(PoolConfig()),
            ]
            let record = PoolRecord(poolID: Self.randomString(&rng), seq: Int64(index) + 1,
                                    recordedAt: Int64.random(in: 0...1 << 45, using: &rng), payload: payloads[index % payloads.count])
            #expect(try RecordCodec.encodeRecord(record) == (try RecordCodec.encodeJSON(record)))
        }
    }

    @Test func aMessageWithCorrelationIsLeftToJSONEncoder() {
        let message = Message(messageID: "m", from: "r", to: .run("s"), contentRef: "c", idempotencyKey: "k", correlation: ["n": .number(1.5)])
        #expect(MessageJSONWriter.json(StoredMessage(message: message, receipt: Receipt(messageID: "m", status: .accepted))) == nil)
    }
}
