import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// The README's `mcpServers` configuration, as printed there, starts servers that join the pool.
@Suite struct ReadmeConfigurationTests {
    /// The JSON block of the README's section "Agents over MCP".
    static func configuration() throws -> [String: [String: Any]] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "## Agents over MCP"), "the README has the section")
        let start = try #require(text.range(of: "```json\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let json = try JSONSerialization.jsonObject(with: Data(text[start.upperBound..<end.lowerBound].utf8))
        return try #require((json as? [String: Any])?["mcpServers"] as? [String: [String: Any]])
    }

    @Test func everyServerOfTheREADMEConfigurationJoinsTheSharedFileAsItsRun() async throws {
        let servers = try Self.configuration()
        let harness = try await MCPHarness()
        let cli = try ChildProcess.builtProduct(named: "agentpool")
        var children: [ChildProcess] = []
        var runs: [String] = []
        var pools: Set<String> = []
        for (_, entry) in servers.sorted(by: { $0.key < $1.key }) {
            #expect(entry["command"] as? String == "agentpool")
            var args = try #require(entry["args"] as? [String])
            let db = try #require(args.firstIndex(of: "--db"))
            args[db + 1] = harness.path  // the shared file, here a temporary one
            // why: a starved test machine can miss the default 15 s lease before every run joined.
            args += ["--lease-ms", "600000"]
            runs.append(try #require(args.firstIndex(of: "--run").map { args[$0 + 1] }))
            pools.insert(try #require(args.firstIndex(of: "--pool").map { args[$0 + 1] }))
            children.append(try ChildProcess(cli, args))
        }
        #expect(pools.count == 1, "one pool for every agent")
        let pool = try #require(pools.first)

        try await eventually("every configured run joined") {
            guard try await harness.store.read(pool, { try $0.info() }) != nil else { return false }
            return try await PoolHandle(pool, store: harness.store).members().map(\.runID).sorted() == runs.sorted()
        }
        for child in children { child.closeInput() }
        for child in children { #expect(await child.wait().status == 0) }
    }
}
