import AgentPool
import Foundation
import MCP
import Testing

/// Refused calls: each is a tool error result (`isError: true`) with a clear text, the server
/// keeps serving, and the database is unchanged.
@Suite struct MCPToolErrorTests {
    static let longID = String(repeating: "x", count: 300)

    static let refusals: [(tool: String, arguments: [String: Value], text: String)] = [
        ("send", ["body": 1], "tool 'send' needs the argument 'to'"),
        ("send", ["to": "nowhere", "body": 1], "argument 'to' of tool 'send' must be run:R"),
        ("send", ["to": .string("run:" + longID), "body": 1], "300 UTF-8 bytes; at most 256"),
        ("send", ["to": "pool", "body": 1, "key": .string(longID)], "300 UTF-8 bytes; at most 256"),
        ("send", ["to": "pool", "body": 1, "colour": "red"], "tool 'send' has no argument 'colour'"),
        ("wait", ["timeout_ms": 600_001], "must be between 0 and 600000"),
        ("wait", ["timeout_ms": "soon"], "argument 'timeout_ms' of tool 'wait' must be an integer"),
        ("reply", ["message_id": .string(longID), "body": 1], "300 UTF-8 bytes; at most 256"),
        ("complete", ["message_id": "never-sent"], "never-sent"),
        ("unknown-tool", [:], "unknown tool 'unknown-tool'"),
    ]

    @Test(arguments: 0..<refusals.count)
    func aRefusedCallIsAToolErrorAndWritesNothing(_ index: Int) async throws {
        let (tool, arguments, text) = Self.refusals[index]
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let cursor = try await harness.cursor()

        let result = try await a.call(tool, arguments)

        #expect(result.isError == true, "\(tool) \(arguments): \(result.text)")
        #expect(result.text.contains(text), "\(result.text)")
        #expect(try await harness.cursor() == cursor)
        #expect(try await a.succeed("status")["run_id"] == "a-1")  // still serving
        await a.disconnect()
    }

    @Test func aLibraryErrorHasTheTextTheCLIPrints() async throws {
        let harness = try await MCPHarness()
        let a = try await harness.agent("a-1", agent: "a")
        let expected = try await #require(throws: AgentPoolError.self) { try await harness.handle().cancel("missing") }

        let result = try await a.call("cancel", ["message_id": "missing"])

        #expect(result.isError == true)
        #expect(result.text == expected.description)
        await a.disconnect()
    }
}
