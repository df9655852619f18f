import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Testing

/// The original crate's own scenario, on one SQLite file with independent handles.
@Suite struct SeedScenarioTests {
    @Test func twoHandlesOnOneFileCoordinateAndAThirdSeesTheResult() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/seed.sqlite"
        let handleA = try await PoolHandle.open("seed", store: try SQLiteStore(path: path, options: quietOptions()))
        let handleB = try await PoolHandle.open("seed", store: try SQLiteStore(path: path, options: quietOptions()))

        try await handleA.join(Member(runID: "run-a", agentID: "agent-a"))
        #expect(try await handleB.members().count == 1)
        try await handleB.join(Member(runID: "run-b", agentID: "agent-b"))
        #expect(try await handleA.members().count == 2)

        try await handleB.suspendUntil(WakeCondition(
            conditionID: "wake-b", runID: "run-b",
            filter: EventFilter(sourceRuns: .oneOf(["run-a"]), kinds: .oneOf([.message(.delivered)])),
            idempotencyKey: "wake-b-key"))

        let message = Message(messageID: "hello", from: "run-a", to: .run("run-b"), contentRef: "greeting", idempotencyKey: "hello-key")
        let receipt = try await handleA.send(message)
        #expect(receipt.status == .delivered)
        #expect(receipt.deliveredTo == ["run-b"])
        #expect(try await handleB.send(message) == receipt)
        #expect(try await handleB.pollWake("wake-b").status == .triggered)

        let handleC = try PoolHandle("seed", store: try SQLiteStore(path: path, options: quietOptions()))
        let snapshot = try await handleC.snapshot()
        #expect(snapshot.members.count == 2)
        #expect(snapshot.messages.map(\.receipt.status) == [.delivered])
        #expect(snapshot.wakes.map(\.registration.status) == [.triggered])
        let history = try await handleC.records()
        #expect(history.contains { record in
            if case .runMessage(let stored) = record.payload { return stored.message.messageID == "hello" && stored.receipt.status == .delivered }
            return false
        })
    }
}
