import AgentPool
import Foundation
import Testing

/// Typed event kinds: spelled as the records' strings, refused when unknown at the API, kept
/// when read from stored data.
@Suite struct EventKindTests {
    @Test func everyKindIsSpelledAsTheRecordsSpellItAndParsesBack() throws {
        let spellings: [(EventKind, String)] = [
            (.poolCreated, "agent_pool_created"), (.runJoined, "agent_pool_run_joined"), (.runLeft, "agent_pool_run_left"),
            (.message(.delivered), "run_message_delivered"), (.message(.timedOut), "run_message_timed_out"),
            (.wake(.triggered), "wake_condition_triggered"), (.wake(.timedOut), "wake_condition_timed_out"),
        ]
        for (kind, spelling) in spellings {
            #expect(kind.rawValue == spelling)
            #expect(try RecordCodec.encodeJSON(kind) == "\"\(spelling)\"")
        }
        let every = EventKind.wakeTriggers + WakeStatus.allCases.map(EventKind.wake)
        #expect(Set(every.map(\.rawValue)).count == 3 + MessageStatus.allCases.count + WakeStatus.allCases.count)
        for kind in every { #expect(EventKind(rawValue: kind.rawValue) == kind) }
    }

    @Test(arguments: ["run_mesage_delivered", "run_message_", "wake_condition_registered_", "", "never"])
    func aStringNoRecordProducesIsNoKind(_ string: String) {
        #expect(EventKind(rawValue: string) == nil)
    }

    @Test func aFilterOfTypedKindsIsCodedAsTheSameStrings() throws {
        let filter = EventFilter(kinds: .oneOf([.message(.timedOut), .runJoined, .message(.timedOut)]))
        #expect(try RecordCodec.encodeJSON(filter) == #"{"kinds":["run_message_timed_out","agent_pool_run_joined","run_message_timed_out"]}"#)
        #expect(try RecordCodec.encodeJSON(filter.normalized()) == #"{"kinds":["agent_pool_run_joined","run_message_timed_out"]}"#)
        let decoded = try RecordCodec.decodeJSON(EventFilter.self, from: #"{"kinds":["agent_pool_run_joined","run_message_timed_out"]}"#, what: "filter")
        #expect(decoded == filter.normalized())
    }

    /// A stored wake written with a kind this version does not know (a newer writer, a
    /// hand-edited log) must not stop the pool from replaying.
    @Test func aStoredWakeWithAnUnknownKindDecodesReencodesAsReadAndMatchesNothing() throws {
        let filterJSON = #"{"kinds":["agent_pool_teleported","run_message_delivered"],"source_runs":["a"]}"#
        let payload = #"{"stored":{"compiled_filter":{"envelope_only":true,"filter":\#(filterJSON),"fingerprint":"0123456789abcdef"},"#
            + #""condition":{"condition_id":"w","filter":\#(filterJSON),"idempotency_key":"k","resume_with":"matching_event_refs","run_id":"a"},"#
            + #""registration":{"condition_id":"w","run_id":"a","status":"registered"}},"type":"wake"}"#
        let decoded = try RecordCodec.decode(kind: "wake", payload: payload, pool: "p", seq: 3)
        #expect(try RecordCodec.encode(decoded).payload == (try RecordCodec.encodeJSON(decoded)))
        guard case .wake(let stored) = decoded else { Issue.record("not a wake: \(decoded)"); return }
        #expect(try RecordCodec.encodeJSON(stored.condition.filter) == filterJSON)
        #expect(stored.condition.filter.kinds == .oneOf([.message(.delivered)]))

        let onlyUnknown = try RecordCodec.decodeJSON(EventFilter.self, from: #"{"kinds":["agent_pool_teleported"]}"#, what: "filter")
        let joined = try #require(PoolEvent(PoolRecord(poolID: "p", seq: 2, recordedAt: 0, payload: .memberJoined(Member(runID: "a", agentID: "x")))))
        #expect(!onlyUnknown.matches(joined))
        #expect(try RecordCodec.encodeJSON(onlyUnknown) == #"{"kinds":["agent_pool_teleported"]}"#)
    }

    @Test func aFilterWithAnUnknownKindIsInvalidInputNamingTheKindsAndWritesNothing() async throws {
        let pool = try await PoolHandle.open("p", store: InMemoryStore())
        try await pool.join(Member(runID: "a", agentID: "x"))
        let records = try await pool.records().count
        let filter = try RecordCodec.decodeJSON(EventFilter.self, from: #"{"kinds":["run_mesage_delivered"]}"#, what: "filter")
        let condition = WakeCondition(conditionID: "w", runID: "a", filter: filter, idempotencyKey: "k")
        let refusals = [
            await #expect(throws: AgentPoolError.self) { try await pool.suspendUntil(condition) },
            await #expect(throws: AgentPoolError.self) { try await pool.next(matching: filter, since: 0, timeoutMillis: 0) },
        ]
        for error in refusals {
            #expect(error?.kind == .invalidInput)
            #expect(error?.field?.hasSuffix("filter.kinds") == true, "\(String(describing: error))")
            #expect(error?.message.contains("'run_mesage_delivered'") == true)
            #expect(error?.message.contains(EventKind.wake(.cancelled).rawValue) == true, "names every kind")
        }
        #expect(try await pool.records().count == records)
    }
}
