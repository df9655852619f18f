import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// `agentpool mcp` as a real process: it joins on start, leaves on stdin EOF or SIGTERM, and a
/// killed one leaves no ghost once its lease runs out.
@Suite struct MCPServerProcessTests {
    /// Starts `agentpool mcp` for `run` on the harness's file and waits until it joined.
    func serve(_ harness: MCPHarness, run: RunID, leaseMillis: Int = 15_000) async throws -> ChildProcess {
        let server = try ChildProcess(try ChildProcess.builtProduct(named: "agentpool"), [
            "--db", harness.path, "mcp", "--pool", MCPHarness.pool, "--run", run, "--agent", "worker",
            "--lease-ms", "\(leaseMillis)",
        ])
        try await eventually("\(run) joined") { try await Self.isMember(run, harness) }
        return server
    }

    /// Whether `run` is a member of the harness's pool (false while the pool does not exist).
    static func isMember(_ run: RunID, _ harness: MCPHarness) async throws -> Bool {
        guard try await harness.store.read(MCPHarness.pool, { try $0.info() }) != nil else { return false }
        return try await harness.handle().members().contains { $0.runID == run }
    }

    @Test(arguments: ["eof", "sigterm"])
    func aServerLeavesThePoolWhenItsClientCloses(_ how: String) async throws {
        let harness = try await MCPHarness()
        let server = try await serve(harness, run: "w-1")

        if how == "eof" { server.closeInput() } else { server.send(signal: SIGTERM) }
        let exit = await server.wait()

        #expect(exit.status == 0, "\(exit.stderr)")
        #expect(exit.stdout.isEmpty, "nothing but the protocol on stdout")
        #expect(try await !Self.isMember("w-1", harness))
    }

    @Test func aKilledServerIsRemovedWhenItsLeaseRunsOutWithItsClaimsFreed() async throws {
        let harness = try await MCPHarness()
        let pool = try await PoolHandle.open(MCPHarness.pool, store: harness.store)
        // The run holds a claim before its server starts, so that no step races the short lease:
        // the server's join only replaces the run's lease with its own 500 ms one.
        _ = try await pool.join(Member(runID: "planner", agentID: "planner"))
        _ = try await pool.join(Member(runID: "w-1", agentID: "worker"), leaseMillis: 600_000)
        _ = try await pool.send(Message(messageID: "t-1", from: "planner", to: .run("w-1"), body: .integer(1), idempotencyKey: "t-1"))
        _ = try #require(try await pool.claimNext("w-1", leaseMillis: 600_000))
        let server = try ChildProcess(try ChildProcess.builtProduct(named: "agentpool"), [
            "--db", harness.path, "mcp", "--pool", MCPHarness.pool, "--run", "w-1", "--agent", "worker", "--lease-ms", "500",
        ])
        try await eventually("the server joined with its lease") {
            try await harness.store.read(MCPHarness.pool) { try $0.lease("w-1")?.leaseMillis } == 500
        }

        server.kill()
        _ = await server.wait()
        try await eventually("the lease ran out") {
            _ = try await pool.sweep()
            return try await !Self.isMember("w-1", harness)
        }

        #expect(try await pool.heldClaims().isEmpty)
        #expect(try await pool.claim("t-1")?.status == .open)
    }

    @Test func aWaitOverStdioWithNothingArrivingReturnsAtItsTimeoutUsingNextToNoCPU() async throws {
        let harness = try await MCPHarness()
        let server = try await serve(harness, run: "w-1", leaseMillis: 600_000)
        server.write(line: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}"#)
        server.write(line: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        _ = await server.line { $0.contains(#""id":1"#) }
        let before = try #require(server.cpuSeconds)
        let start = ContinuousClock.now

        server.write(line: #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait","arguments":{"timeout_ms":2000}}}"#)
        let answer = try #require(await server.line { $0.contains(#""id":2"#) })

        let cpu = try #require(server.cpuSeconds) - before
        #expect(ContinuousClock.now - start >= .seconds(2))
        #expect(answer.contains(#""timed_out":true"#), "\(answer)")
        #expect(cpu < 0.2, "a 2 s idle wait used \(cpu) s of CPU")
        server.closeInput()
        #expect(await server.wait().status == 0)
    }
}
