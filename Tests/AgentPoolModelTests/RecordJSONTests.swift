import AgentPool
import Foundation
import Testing

/// The record JSON uses the seed format's names and shapes.
@Suite struct RecordJSONTests {
    func json(_ value: some Encodable) throws -> [String: Any] {
        let text = try RecordCodec.encodeJSON(value)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static let sample = StoredMessage(
        message: Message(messageID: "m1", from: "r1", to: .topic("t"), contentRef: "c", idempotencyKey: "k",
                         correlation: ["trace": .string("x"), "n": .integer(3)], replyTo: "m0",
                         responseContract: ResponseContract(expectedResponses: 2, timeoutMillis: 500),
                         expiresAtMillis: 99, policyRefs: ["p"]),
        receipt: Receipt(messageID: "m1", status: .timedOut, deliveredTo: ["r2"]))

    @Test func aRunMessagePayloadUsesTheSeedNames() throws {
        let object = try json(RecordPayload.runMessage(Self.sample))
        #expect(object["type"] as? String == "run_message")
        let stored = try #require(object["stored"] as? [String: Any])
        let message = try #require(stored["message"] as? [String: Any])
        #expect(Set(message.keys) == ["message_id", "from", "to", "content_ref", "correlation", "reply_to",
                                      "response_contract", "expires_at_millis", "idempotency_key", "policy_refs"])
        let to = try #require(message["to"] as? [String: Any])
        #expect((to["target"] as? [String: String]) == ["type": "topic", "topic_id": "t"])
        #expect((message["response_contract"] as? [String: Int]) == ["expected_responses": 2, "timeout_millis": 500])
        let receipt = try #require(stored["receipt"] as? [String: Any])
        #expect(receipt["status"] as? String == "timed_out")
        #expect(receipt["delivered_to"] as? [String] == ["r2"])
    }

    @Test func emptyListsAndMissingValuesAreOmittedWhenWritten() throws {
        let bare = Message(messageID: "m", from: "r", to: .pool("p"), contentRef: "c", idempotencyKey: "k")
        #expect(Set(try json(bare).keys) == ["message_id", "from", "to", "content_ref", "idempotency_key"])
        #expect(Set(try json(Member(runID: "r", agentID: "a")).keys) == ["run_id", "agent_id"])
        #expect(Set(try json(Receipt(messageID: "m", status: .accepted)).keys) == ["message_id", "status"])
    }

    @Test func absentFieldsAreAcceptedWhenRead() throws {
        let payload = try RecordCodec.decode(kind: "pool_opened", payload: #"{"type":"pool_opened","config":{}}"#, pool: "p", seq: 1)
        #expect(payload == .poolOpened(PoolConfig()))
        guard case .poolOpened(let config) = payload else { return }
        #expect(config.wakePolicy.envelopeOnly == true)
        #expect(config.messagePolicy.includeSenderInPoolBroadcast == false)
        let member = try RecordCodec.decodeJSON(Member.self, from: #"{"run_id":"r","agent_id":"a"}"#, what: "member")
        #expect(member == Member(runID: "r", agentID: "a"))
        let wake = try RecordCodec.decodeJSON(WakeCondition.self, from: #"{"condition_id":"w","run_id":"r","idempotency_key":"k"}"#, what: "wake")
        #expect(wake.filter == EventFilter())
        #expect(wake.resumeWith == "matching_event_refs")
    }

    @Test func unknownFieldsInsideAKnownKindAreIgnored() throws {
        let payload = try RecordCodec.decode(
            kind: "member_joined",
            payload: #"{"type":"member_joined","future":1,"member":{"run_id":"r","agent_id":"a","shiny":true}}"#, pool: "p", seq: 2)
        #expect(payload == .memberJoined(Member(runID: "r", agentID: "a")))
    }

    @Test func theSeedAddressFieldsAreKept() throws {
        let text = #"{"target":{"type":"run","run_id":"r"},"destination_ref":"d","related_refs":["x"]}"#
        let address = try RecordCodec.decodeJSON(Address.self, from: text, what: "address")
        #expect(address == Address(target: .run("r"), destinationRef: "d", relatedRefs: ["x"]))
        #expect(try RecordCodec.encodeJSON(address) == #"{"destination_ref":"d","related_refs":["x"],"target":{"run_id":"r","type":"run"}}"#)
    }

    @Test func filterFacetsAreListsOrAbsentForAny() throws {
        let filter = EventFilter(sourceRuns: .oneOf(["b", "a", "a"]), kinds: .any, targets: .oneOf([]))
        #expect(try RecordCodec.encodeJSON(filter.normalized()) == #"{"source_runs":["a","b"],"targets":[]}"#)
        let decoded = try RecordCodec.decodeJSON(EventFilter.self, from: #"{"source_runs":["a","b"],"targets":[]}"#, what: "filter")
        #expect(decoded == filter.normalized())
        #expect(decoded.targets.matches("x") == false)
        #expect(decoded.kinds.matches(.poolCreated))
    }

    static let everyKind: [RecordPayload] = [
        .poolOpened(PoolConfig(messagePolicy: MessagePolicy(requiredPolicyRefs: ["r"], includeSenderInPoolBroadcast: true), policyRefs: ["p"])),
        .poolCreated,
        .memberJoined(Member(runID: "r", agentID: "a", policyRefs: ["p"], topics: ["t"])),
        .memberLeft(Member(runID: "r", agentID: "a")),
        .memberLeft(Member(runID: "r", agentID: "a"), reason: "lease_expired"),
        .runMessage(sample),
        .wake(StoredWake(
            condition: WakeCondition(conditionID: "w", runID: "r", filter: EventFilter(kinds: .oneOf([.message(.delivered)])), idempotencyKey: "k", timeoutMillis: 0),
            compiledFilter: CompiledFilter.compile(EventFilter(kinds: .oneOf([.message(.delivered)])), members: [Member(runID: "r", agentID: "a")], config: PoolConfig()),
            registration: Registration(conditionID: "w", runID: "r", status: .triggered, deadlineMillis: 5, matchingCursor: 7))),
        .checkpoint(Snapshot(poolID: "p", created: true, members: [Member(runID: "r", agentID: "a", topics: ["t"])], topics: ["t"],
                             config: PoolConfig(policyRefs: ["p"]), messages: [sample], wakes: [], cursor: 9)),
    ]

    @Test(arguments: everyKind)
    func theStorageEncodingIsTheCodableEncodingAndRoundTrips(_ payload: RecordPayload) throws {
        let encoded = try RecordCodec.encode(payload)
        #expect(encoded.payload == (try RecordCodec.encodeJSON(payload)))
        // The kind column and the "type" tag come from one source.
        #expect(encoded.kind == payload.kind)
        #expect(try json(payload)["type"] as? String == payload.kind.rawValue)
        #expect(try RecordCodec.decode(kind: encoded.kind.rawValue, payload: encoded.payload, pool: "p", seq: 1) == payload)
    }

    @Test func everyKindHasASample() {
        #expect(Set(Self.everyKind.map(\.kind)) == Set(RecordKind.allCases))
    }

    @Test func malformedUnknownOrMismatchedPayloadsAreCorruptRecords() {
        let cases: [(String, String, String)] = [
            ("member_joined", #"{"type":"member_joined","member":"#, "not valid"),
            ("teleport", #"{"type":"teleport"}"#, "unknown kind 'teleport'"),
            ("pool_created", #"{"type":"teleport"}"#, "unknown record kind 'teleport'"),
            ("pool_created", #"{"type":"member_left","member":{"run_id":"r","agent_id":"a"}}"#, "payload says 'member_left'"),
            ("member_joined", #"{"type":"member_joined","member":{"run_id":7}}"#, "not valid"),
            ("member_joined", #"[1,2]"#, "not valid"),
        ]
        for (kind, payload, needle) in cases {
            do {
                _ = try RecordCodec.decode(kind: kind, payload: payload, pool: "p", seq: 3)
                Issue.record("decoded \(payload)")
            } catch {
                #expect(error.kind == .corruptRecord)
                #expect(error.message.contains(needle), "\(error.message)")
                #expect(error.message.contains("record 3 of pool 'p'"))
            }
        }
    }

    @Test func theCompiledFilterFingerprintIsStableAndSensitive() {
        let filter = EventFilter(sourceRuns: .oneOf(["b", "a"]))
        let members = [Member(runID: "a", agentID: "x", policyRefs: ["gold"]), Member(runID: "b", agentID: "x")]
        let config = PoolConfig(policyRefs: ["gold"])
        let compiled = CompiledFilter.compile(filter, members: members, config: config)
        #expect(compiled.scopeRuns == ["a"])
        #expect(compiled.filter.sourceRuns == .oneOf(["a", "b"]))
        #expect(compiled == CompiledFilter.compile(EventFilter(sourceRuns: .oneOf(["a", "b", "a"])), members: members.reversed(), config: config))
        #expect(compiled.fingerprint.count == 16)
        #expect(compiled.fingerprint != CompiledFilter.compile(EventFilter(sourceRuns: .oneOf(["a"])), members: members, config: config).fingerprint)
        #expect(compiled.fingerprint != CompiledFilter.compile(filter, members: members, config: PoolConfig()).fingerprint)
    }
}
