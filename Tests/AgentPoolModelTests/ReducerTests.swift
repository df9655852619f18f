import AgentPool
import Testing

/// The pure reducer: `state + record → state`.
@Suite struct ReducerTests {
    func record(_ seq: Seq, _ payload: RecordPayload, pool: PoolID = "p") -> PoolRecord {
        PoolRecord(poolID: pool, seq: seq, recordedAt: 1000 + seq, payload: payload)
    }

    @Test func replayBuildsTheSnapshotOfSpecSection5() throws {
        let message = Message(messageID: "m", from: "b", to: .run("a"), contentRef: "c", idempotencyKey: "k")
        let state = try PoolState.replay(poolID: "p", records: [
            record(1, .poolOpened(PoolConfig(policyRefs: ["x"]))),
            record(2, .memberJoined(Member(runID: "b", agentID: "x", topics: ["t2"]))),
            record(3, .memberJoined(Member(runID: "a", agentID: "x", topics: ["t1", "t2"]))),
            record(4, .poolCreated),
            record(5, .runMessage(StoredMessage(message: message, receipt: Receipt(messageID: "m", status: .accepted)))),
            record(6, .runMessage(StoredMessage(message: message, receipt: Receipt(messageID: "m", status: .delivered, deliveredTo: ["a"])))),
            record(7, .memberLeft(Member(runID: "b", agentID: "x", topics: ["t2"]))),
        ])
        let snapshot = try state.snapshot()
        #expect(snapshot.created)
        #expect(snapshot.members.map(\.runID) == ["a"])
        #expect(snapshot.topics == ["t1", "t2"])
        #expect(snapshot.policyRefs == ["x"])
        #expect(snapshot.messages.map(\.receipt.status) == [.delivered])
        #expect(snapshot.cursor == 7)
        #expect(state.messageIDsByKey == ["k": "m"])
    }

    @Test func applyingIsPureAndLeavesTheStateUnchangedOnError() throws {
        let opened = try PoolState(poolID: "p").applying(record(1, .poolOpened(PoolConfig())))
        let copy = opened
        #expect(throws: AgentPoolError.self) { _ = try opened.applying(record(3, .poolCreated)) }
        #expect(opened == copy)
        #expect(try opened.applying(record(2, .poolCreated)).created)
        #expect(!opened.created)
    }

    @Test func malformedLogsAreCorruptRecords() {
        let cases: [(String, [PoolRecord])] = [
            ("a gap", [record(1, .poolOpened(PoolConfig())), record(3, .poolCreated)]),
            ("a repeat", [record(1, .poolOpened(PoolConfig())), record(1, .poolCreated)]),
            ("not starting at 1", [record(2, .poolOpened(PoolConfig()))]),
            ("no pool_opened first", [record(1, .poolCreated)]),
            ("pool_opened twice", [record(1, .poolOpened(PoolConfig())), record(2, .poolOpened(PoolConfig()))]),
            ("another pool's record", [record(1, .poolOpened(PoolConfig()), pool: "q")]),
        ]
        for (name, records) in cases {
            do {
                _ = try PoolState.replay(poolID: "p", records: records)
                Issue.record("accepted \(name)")
            } catch {
                #expect(error.kind == .corruptRecord, "\(name)")
            }
        }
    }

    @Test func theSnapshotOfAPoolNeverOpenedIsPoolNotFound() {
        #expect(throws: AgentPoolError.poolNotFound("p")) { _ = try PoolState(poolID: "p").snapshot() }
    }
}
