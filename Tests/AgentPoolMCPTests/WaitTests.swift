import AgentPool
import AgentPoolConformance
import Foundation
import MCP
import Testing

/// `wait`: its timeout, its cancellation, and the durable cursor it shares with `inbox`.
@Suite struct MCPWaitTests {
    @Test func aWaitWithNothingArrivingReturnsAtItsTimeoutWithNothing() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let start = ContinuousClock.now

        let result = try await a.succeed("wait", ["timeout_ms": 300])

        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(result["timed_out"] == true)
        #expect(result.messages.isEmpty)
        await a.disconnect()
    }

    @Test func aCancelledWaitStopsWaitingAndAnswersNothing() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let changes = harness.store.changes
        let before = try await harness.idleWaiters(agents: 1)

        let context: RequestContext<CallTool.Result> = try await a.client.send(
            CallTool.request(.init(name: "wait", arguments: ["timeout_ms": 600_000])))
        try await eventually("the wait parked") { changes.waiterCount > before }
        try await a.client.cancelRequest(context.requestID, reason: "test")

        await #expect(throws: (any Error).self) { try await boundedValue(of: Task { try await context.value }, "the cancelled wait") }
        try await eventually("the server stopped waiting") { changes.waiterCount == before }
        await a.disconnect()
    }

    @Test func aWaitWithAFilterReturnsTheFirstMatchingEvent() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let changes = harness.store.changes
        let before = try await harness.idleWaiters(agents: 1)
        let waiter = Task {
            try await a.succeed("wait", ["filter": ["kinds": ["agent_pool_run_joined"], "source_runs": ["b-1"]], "timeout_ms": 120_000])
        }
        try await eventually(within: .seconds(120), "the wait parked") { changes.waiterCount > before }

        let b = try await harness.agent("b-1", agent: "b")
        let result = try await boundedValue(of: waiter, "the filtered wait")

        #expect(result["timed_out"] == false)
        #expect(result["event"]?.objectValue?["kind"] == "agent_pool_run_joined")
        await a.disconnect()
        await b.disconnect()
    }

    @Test func aWaitWithAnyOfReturnsTheFirstEventMatchingAnyFilterAndSaysWhich() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let changes = harness.store.changes
        let before = try await harness.idleWaiters(agents: 1)
        let waiter = Task {
            try await a.succeed("wait", ["any_of": [
                ["kinds": ["run_message_responded"], "message_ids": ["never"]],
                ["kinds": ["agent_pool_run_joined"], "source_runs": ["b-1"]],
            ], "timeout_ms": 120_000])
        }
        try await eventually(within: .seconds(120), "the wait parked") { changes.waiterCount > before }

        let b = try await harness.agent("b-1", agent: "b")
        let result = try await boundedValue(of: waiter, "the any-of wait")

        #expect(result["timed_out"] == false)
        #expect(result["event"]?.objectValue?["kind"] == "agent_pool_run_joined")
        #expect(result["matched_filter"] == 1)
        for refused: [String: Value] in [
            ["any_of": []],
            ["any_of": [["kinds": ["no_such_kind"]]]],
            ["any_of": [["colour": ["red"]]]],
            ["any_of": [["kinds": ["agent_pool_run_joined"]]], "filter": ["kinds": ["agent_pool_run_joined"]]],
        ] {
            let outcome = try await a.call("wait", refused.merging(["timeout_ms": 0]) { $1 })
            #expect(outcome.isError == true, "\(refused): \(outcome.text)")
        }
        await a.disconnect()
        await b.disconnect()
    }

    @Test func aServerRestartedWithTheSameRunSeesWhatArrivedMeanwhileAndNothingTwice() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let b = try await harness.agent("b-1", agent: "b")
        _ = try await a.succeed("send", ["to": "run:b-1", "body": "before"])
        #expect(try await b.succeed("wait", ["timeout_ms": 60_000]).messages.map { $0["body"] } == ["before"])
        await b.disconnect()

        _ = try await a.succeed("send", ["to": "run:b-1", "body": "while away"])
        let restarted = try await harness.agent("b-1", agent: "b")
        let first = try await restarted.succeed("wait", ["timeout_ms": 60_000])
        let second = try await restarted.succeed("inbox")

        #expect(first.messages.map { $0["body"] } == ["while away"])
        #expect(second.messages.isEmpty)
        await a.disconnect()
        await restarted.disconnect()
    }

    @Test func aWaitReportsProgressWhenTheClientAsks() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let (progress, continuation) = AsyncStream<ProgressNotification.Parameters>.makeStream()
        await a.client.onNotification(ProgressNotification.self) { continuation.yield($0.params) }

        // A wait far longer than the 5 s progress interval, so that a loaded machine cannot end it
        // before its first report; the client cancels it once the report came.
        let waiter = Task { try await a.call("wait", ["timeout_ms": 120_000], meta: Metadata(progressToken: .string("w-1"))) }
        let first = try await boundedValue(of: Task { await progress.first { _ in true } }, "a progress notification")

        #expect(first?.progressToken == .string("w-1"))
        #expect(first?.total == 120_000)
        waiter.cancel()
        _ = try? await boundedValue(of: waiter, "the cancelled wait")
        await a.disconnect()
    }
}
