import AgentPool
import AgentPoolConformance
import AgentPoolMCP
import AgentPoolStores
import AgentPoolTestSupport
import Foundation
import MCP
import Testing

/// One database file in a temporary directory, and agent runs served on it in process: each an
/// `AgentSession` and a `PoolAgentServer`, driven by the SDK's `Client` over an in-memory
/// transport pair — the same server `agentpool mcp` runs, without the stdio.
final class MCPHarness: Sendable {
    /// The pool every agent joins.
    static let pool = "mcp-pool"
    /// The temporary directory (removed with the harness).
    let directory: TemporaryDirectory
    /// The database file.
    let path: String
    /// The store the in-process agents share.
    let store: any PoolStore

    /// A fresh directory and store.
    init() async throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/pool.sqlite"
        store = try await StoreLocation.open(path, logger: StoreLocation.quietLogger())
    }

    /// Joins `run` of `agent` and connects a client to its server.
    ///
    /// why a 10-minute lease: these members never crash, and with the whole suite on two busy
    /// cores the heartbeat task has been starved past a 15 s lease (the run was then removed and
    /// its next `send` was `notMember`).
    func agent(_ run: RunID, agent: AgentID, topics: [TopicID] = [], leaseMillis: Millis = 600_000) async throws -> AgentClient {
        let session = try await AgentSession.join(
            AgentIdentity(poolID: Self.pool, runID: run, agentID: agent, topics: topics, leaseMillis: leaseMillis), store: store)
        let server = PoolAgentServer(session: session)
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverSide)
        let client = Client(name: "test-\(run)", version: "1")
        _ = try await client.connect(transport: clientSide)
        return AgentClient(client: client, server: server, session: session)
    }

    /// A handle on the pool, for arranging and checking state beside the tools.
    func handle() throws -> PoolHandle { try PoolHandle(Self.pool, store: store) }

    /// How many tasks wait on the store's change notifications once the resource watches of
    /// `agents` connected agents parked: a tool call that blocks adds one to it.
    func idleWaiters(agents: Int) async throws -> Int {
        try await eventually("the resource watches parked") { store.changes.waiterCount >= agents }
        return store.changes.waiterCount
    }

    /// The pool's cursor: unchanged exactly when nothing was written to its log.
    func cursor() async throws -> Seq { try await handle().snapshot().cursor ?? 0 }
}

/// A connected MCP client and the in-process server it talks to.
struct AgentClient: Sendable {
    /// The SDK client.
    let client: Client
    /// The server.
    let server: PoolAgentServer
    /// The server's run.
    let session: AgentSession

    /// Calls `tool` with `arguments` and returns the whole result (content, structured content,
    /// `isError`), within a bound.
    func call(_ tool: String, _ arguments: [String: Value] = [:], meta: Metadata? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> CallTool.Result {
        let context: RequestContext<CallTool.Result> = try await client.send(
            CallTool.request(.init(name: tool, arguments: arguments, meta: meta)))
        return try await boundedValue(of: Task { try await context.value }, within: .seconds(120), "\(tool) answered",
                                      sourceLocation: sourceLocation)
    }

    /// Calls `tool`, requires a success, and returns its structured content as an object.
    func succeed(_ tool: String, _ arguments: [String: Value] = [:], sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> [String: Value] {
        let result = try await call(tool, arguments, sourceLocation: sourceLocation)
        #expect(result.isError != true, "\(tool): \(result.text)", sourceLocation: sourceLocation)
        return try #require(result.structuredContent?.objectValue, "\(tool) gave no structured content", sourceLocation: sourceLocation)
    }

    /// Subscribes to resource `uri` and returns the URIs of the `notifications/resources/updated`
    /// the client receives from then on.
    func subscribe(to uri: String) async throws -> AsyncStream<String> {
        let (updates, continuation) = AsyncStream<String>.makeStream()
        await client.onNotification(ResourceUpdatedNotification.self) { continuation.yield($0.params.uri) }
        try await client.subscribeToResource(uri: uri)
        return updates
    }

    /// Disconnects the client and stops the server, without leaving the pool (as a killed
    /// process would leave it).
    func disconnect() async {
        await client.disconnect()
        await server.stop()
    }
}

/// Reading a tool result in tests.
extension CallTool.Result {
    /// The text contents, joined.
    var text: String {
        content.compactMap { if case .text(let text, _, _) = $0 { text } else { nil } }.joined(separator: "\n")
    }
}

/// Reading structured content in tests.
extension [String: Value] {
    /// The messages of an `inbox` or `wait` result.
    var messages: [[String: Value]] { self["messages"]?.arrayValue?.compactMap(\.objectValue) ?? [] }
}
