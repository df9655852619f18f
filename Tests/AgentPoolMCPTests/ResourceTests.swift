import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import MCP
import Testing

/// The inbox and snapshot resources and their subscriptions.
@Suite struct MCPResourceTests {
    @Test func theInboxAndTheSnapshotAreListedAndReadAsJSON() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        _ = try await a.succeed("send", ["to": "run:a-1", "body": "note to self"])

        let (resources, _) = try await a.client.listResources()
        let uris = resources.map(\.uri)
        let inbox = try await a.client.readResource(uri: "agentpool://\(MCPHarness.pool)/runs/a-1/inbox")
        let snapshot = try await a.client.readResource(uri: "agentpool://\(MCPHarness.pool)/snapshot")

        #expect(uris == ["agentpool://\(MCPHarness.pool)/runs/a-1/inbox", "agentpool://\(MCPHarness.pool)/snapshot"])
        #expect(inbox.first?.text?.contains("note to self") == true)
        #expect(try await a.succeed("inbox").messages.count == 1, "reading the resource acknowledged nothing")
        let decoded = try JSONDecoder().decode(Snapshot.self, from: Data(try #require(snapshot.first?.text).utf8))
        #expect(decoded.members.map(\.runID) == ["a-1"])
        await a.disconnect()
    }

    @Test func aSubscribedInboxIsReportedUpdatedWhenAnotherProcessSendsToTheRun() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let uri = "agentpool://\(MCPHarness.pool)/runs/a-1/inbox"
        let updates = try await a.subscribe(to: uri)

        let cli = try ChildProcess.builtProduct(named: "agentpool")
        let sent = await (try ChildProcess(cli, ["--db", harness.path, "send", MCPHarness.pool, "--id", "from-cli", "--from", "a-1",
                                                 "--to", "run:a-1", "--body", "\"hello\"", "--key", "from-cli"])).wait()
        #expect(sent.status == 0, "\(sent.stderr)")
        let updated = try await boundedValue(of: Task { await updates.first { $0 == uri } }, "the inbox update")

        #expect(updated == uri)
        await a.disconnect()
    }

    @Test func aSubscribedSnapshotIsReportedUpdatedWhenAnotherRunJoins() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let uri = "agentpool://\(MCPHarness.pool)/snapshot"
        let updates = try await a.subscribe(to: uri)

        let b = try await harness.agent("b-1", agent: "b")
        let first = try await boundedValue(of: Task { await updates.first { _ in true } }, "the snapshot update")

        #expect(first == uri, "only the snapshot is subscribed")
        await a.disconnect()
        await b.disconnect()
    }

    @Test func anUnknownResourceIsAnError() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        await #expect(throws: (any Error).self) { try await a.client.readResource(uri: "agentpool://elsewhere") }
        await a.disconnect()
    }
}
