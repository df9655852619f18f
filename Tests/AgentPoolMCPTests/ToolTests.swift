import AgentPool
import AgentPoolConformance
import Foundation
import MCP
import Testing

/// The tools as a model uses them, through the SDK's client.
@Suite struct MCPToolTests {
    @Test func toolsListNamesEveryToolOfTheIssueWithAnObjectSchema() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let (tools, _) = try await a.client.listTools()
        #expect(tools.map(\.name) == ["send", "reply", "cancel", "inbox", "wait", "claim", "complete", "release",
                                      "members", "status", "history"])
        for tool in tools {
            #expect(tool.inputSchema.objectValue?["type"] == "object", "\(tool.name)")
        }
        await a.disconnect()
    }

    @Test func aMessageToAnAgentIsWhatItsWaitReturnsAndTheReplyIsWhatTheSendersWaitReturns() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let b = try await harness.agent("b-1", agent: "b")

        let sent = try await a.succeed("send", ["to": "agent:b", "body": ["question": "2+2?"], "expect_reply": true])
        let messageID = try #require(sent["message_id"]?.stringValue)
        #expect(sent["body"] == ["question": "2+2?"])
        #expect(sent["delivered_to"] == ["b-1"])

        let arrived = try await b.succeed("wait", ["timeout_ms": 60_000])
        #expect(arrived["timed_out"] == false)
        #expect(arrived.messages.map { $0["message_id"] } == [.string(messageID)])
        #expect(arrived.messages.first?["body"] == ["question": "2+2?"])

        let reply = try await b.succeed("reply", ["message_id": .string(messageID), "body": 4])
        let answer = try await a.succeed("wait", ["timeout_ms": 60_000])
        #expect(answer.messages.map { $0["message_id"] } == [reply["message_id"]])
        #expect(answer.messages.first?["body"] == 4)
        #expect(answer.messages.first?["reply_to"] == .string(messageID))
        #expect(try await harness.handle().receipt(messageID).status == .responded)
        await a.disconnect()
        await b.disconnect()
    }

    @Test func inboxAcknowledgesWhatItReturnsUnlessToldNot() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let b = try await harness.agent("b-1", agent: "b")
        _ = try await a.succeed("send", ["to": "run:b-1", "body": "one"])

        let peeked = try await b.succeed("inbox", ["ack": false])
        let read = try await b.succeed("inbox")
        let again = try await b.succeed("inbox")

        #expect(peeked.messages.map { $0["body"] } == ["one"])
        #expect(read.messages.map { $0["body"] } == ["one"])
        #expect(again.messages.isEmpty)
        await a.disconnect()
        await b.disconnect()
    }

    @Test func sendingTheSameKeyAgainReturnsTheFirstReceiptAndWritesNothing() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let first = try await a.succeed("send", ["to": "pool", "body": 1, "key": "k-1"])
        let cursor = try await harness.cursor()
        let second = try await a.succeed("send", ["to": "pool", "body": 1, "key": "k-1"])
        #expect(first == second)
        #expect(try await harness.cursor() == cursor)
        await a.disconnect()
    }

    @Test func claimCompleteAndReleaseNeedNoTokenFromTheModel() async throws {
        let harness = try await MCPHarness()
        let planner = try await harness.agent("planner", agent: "planner")
        let worker = try await harness.agent("worker-1", agent: "worker", topics: ["tasks"])
        for n in 1...2 { _ = try await planner.succeed("send", ["to": "topic:tasks", "body": ["n": .int(n)], "queue": true]) }

        let first = try await worker.succeed("claim", ["from": "topic:tasks", "lease_ms": 60_000])
        let firstID = try #require(first["message_id"]?.stringValue)
        #expect(first["body"] == ["n": 1])
        #expect(first["token"] == nil && first["message"]?.objectValue?["token"] == nil)
        _ = try await worker.succeed("release", ["message_id": .string(firstID)])
        let again = try await worker.succeed("claim", ["from": "topic:tasks"])
        #expect(again["message_id"] == .string(firstID))
        _ = try await worker.succeed("complete", ["message_id": .string(firstID)])
        let second = try await worker.succeed("claim", ["from": "topic:tasks"])
        _ = try await worker.succeed("complete", ["message_id": second["message_id"]!, "body": ["done": true]])
        let none = try await worker.succeed("claim", ["from": "topic:tasks"])

        #expect(none["claimed"] == false)
        #expect(try await harness.handle().receipt(firstID).status == .responded)
        #expect(try await harness.handle().heldClaims().isEmpty)
        await planner.disconnect()
        await worker.disconnect()
    }

    @Test func tasksSentWithPriorityAfterAndDelayAreClaimedInThatOrder() async throws {
        let harness = try await MCPHarness()
        let planner = try await harness.agent("planner", agent: "planner")
        let worker = try await harness.agent("worker-1", agent: "worker", topics: ["tasks"])
        _ = try await planner.succeed("send", ["to": "topic:tasks", "body": "first", "queue": true, "key": "first"])
        _ = try await planner.succeed("send", ["to": "topic:tasks", "body": "urgent", "queue": true, "key": "urgent", "priority": 5])
        let chained = try await planner.succeed("send", ["to": "topic:tasks", "body": "then", "queue": true, "key": "then",
                                                         "after": ["urgent"], "priority": 9])
        #expect(chained["status"] == "accepted" && chained["waiting_for"] == ["urgent"])
        let delayed = try await planner.succeed("send", ["to": "topic:tasks", "body": "later", "queue": true, "key": "later",
                                                         "delay_ms": 600_000, "priority": 100])
        #expect(delayed["status"] == "accepted")
        var order: [Value] = []
        while true {
            let claimed = try await worker.succeed("claim", ["from": "topic:tasks"])
            guard claimed["claimed"] != false, let id = claimed["message_id"] else { break }
            order.append(id)
            _ = try await worker.succeed("complete", ["message_id": id])
        }
        #expect(order == ["urgent", "then", "first"], "the delayed one is not due for ten minutes")
        await planner.disconnect()
        await worker.disconnect()
    }

    @Test func statusMembersAndHistoryDescribeThePool() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let b = try await harness.agent("b-1", agent: "b")
        _ = try await a.succeed("send", ["to": "run:b-1", "body": "hi"])

        let status = try await b.succeed("status")
        let members = try await a.succeed("members")
        let history = try await a.succeed("history", ["limit": 2])

        #expect(status["inbox_count"] == 1)
        #expect(status["run_id"] == "b-1")
        #expect(members["members"]?.arrayValue?.compactMap { $0.objectValue?["run_id"] } == ["a-1", "b-1"])
        #expect(history["records"]?.arrayValue?.count == 2)
        await a.disconnect()
        await b.disconnect()
    }
}
