import AgentPool
import AgentPoolMCP
import ArgumentParser
@preconcurrency import Dispatch
import Foundation
import Logging

/// `agentpool mcp --pool P --run R --agent A [--topic T]… [--lease-ms N]`: serves one agent run's
/// tools and resources over MCP on stdin/stdout (see docs/CLI.md and the README).
///
/// On start it opens the pool if needed and joins as the run with a lease, heartbeating in the
/// background. On stdin EOF or SIGTERM it leaves (the run's claims are released) and exits 0. A
/// server killed without a word stops heartbeating: the lease runs out and the run is removed,
/// its claims freed and its wakes cancelled. Logging goes to stderr only; stdout is the protocol.
struct MCPCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve one agent run's tools (send, wait, claim, …) over MCP on stdin/stdout.",
        discussion: """
            Opens the pool if it does not exist and joins it as --run with a lease renewed in the \
            background; leaves on stdin EOF or SIGTERM. A restarted server with the same --run \
            resumes its inbox after the last message it acknowledged.
            """)

    /// The global options (`--db`, `--verbose`).
    @OptionGroup var global: GlobalOptions
    /// The pool.
    @Option(help: ArgumentHelp("The pool id (opened if it does not exist).", valueName: "pool")) var pool: String
    /// The run the server joins as.
    @Option(help: ArgumentHelp("The run id this server joins as.", valueName: "run")) var run: String
    /// The run's agent.
    @Option(help: ArgumentHelp("The agent id of the run.", valueName: "agent")) var agent: String
    /// Topics the run listens to.
    @Option(name: .customLong("topic"), help: ArgumentHelp("A topic the run listens to (repeatable).", valueName: "topic"))
    var topics: [String] = []
    /// The member lease.
    @Option(name: .customLong("lease-ms"), help: ArgumentHelp("The member lease in ms (default 15000).", valueName: "ms"))
    var leaseMillis: Int64 = 15_000

    /// Rejects a lease below 1 ms as a usage error.
    func validate() throws {
        try Usage.requireDuration(leaseMillis, atLeast: 1, "--lease-ms")
    }

    /// Joins, serves until stdin EOF or SIGTERM, then leaves.
    /// - Throws: the store's open errors and `join`'s (nothing is served then).
    func run() async throws {
        // Before anything else: a SIGTERM that arrives while the server joins must still leave.
        let termination = Termination()
        var logger = Logger(label: "agentpool.mcp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = global.verbose ? .info : .warning
        let identity = AgentIdentity(poolID: pool, runID: run, agentID: agent, topics: topics, leaseMillis: leaseMillis)
        try await global.withStore(.createIfMissing) { store in
            let session = try await AgentSession.join(identity, store: store)
            let server = PoolAgentServer(session: session)
            try await server.start(transport: StdioLineTransport(logger: logger))
            logger.info("serving", metadata: ["pool": "\(pool)", "run": "\(run)"])
            // why not a task group: waitUntilCompleted ignores cancellation, so a group would
            // wait for stdin EOF even after SIGTERM. Stopping the server ends its loop instead.
            let onTerminate = Task {
                await termination.signalled()
                await server.stop()
            }
            await server.waitUntilCompleted()
            onTerminate.cancel()
            await server.stop()
            do { try await session.leave() } catch { logger.warning("leave failed: \(error)") }
        }
    }
}

/// SIGTERM as an event: from its creation the signal no longer kills the process; it is
/// delivered to ``signalled()`` instead.
// why unchecked: the dispatch source is only resumed and cancelled, both thread-safe.
final class Termination: @unchecked Sendable {
    private let source: any DispatchSourceSignal
    private let signals: AsyncStream<Void>

    /// Starts catching SIGTERM.
    init() {
        signal(SIGTERM, SIG_IGN)
        let (signals, continuation) = AsyncStream<Void>.makeStream()
        self.signals = signals
        source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
    }

    /// Returns once SIGTERM arrived (also one that arrived before the call), or when the
    /// calling task is cancelled.
    func signalled() async {
        for await _ in signals { return }
    }

    deinit { source.cancel() }
}
