import AgentPool
import Logging
import MCP

/// The MCP server of one agent run: the tools of ``ToolCatalog`` and the resources of
/// ``PoolResources`` over an ``AgentSession``, on the official Swift MCP SDK.
///
/// Nothing a client sends crashes it: an unknown tool, a malformed argument and every
/// `AgentPoolError` become a tool error result (`isError: true`) whose text is the one the CLI
/// prints after `error: `, and a refused call writes nothing. A cancelled request (MCP
/// `notifications/cancelled`) stops its tool at once and gets no answer.
public final class PoolAgentServer: Sendable {
    /// The run the tools act as.
    public let session: AgentSession
    /// The SDK server.
    let server: Server
    /// The resources and their subscriptions.
    let resources: PoolResources

    /// A server for `session`; nothing runs before ``start(transport:)``.
    public init(session: AgentSession) {
        self.session = session
        server = Server(
            name: "agentpool", version: "1",
            instructions: """
                You are run \(session.runID) (agent \(session.identity.agentID)) in agent pool \(session.identity.poolID). \
                Use wait to block until a message reaches you, inbox to read new ones, send/reply to talk, \
                claim/complete/release for queued tasks.
                """,
            capabilities: .init(resources: .init(subscribe: true, listChanged: false), tools: .init(listChanged: false)))
        resources = PoolResources(session: session)
    }

    /// Registers the handlers, starts serving on `transport` and starts the resource watch;
    /// returns once the transport is connected.
    /// - Throws: the transport's connection errors.
    public func start(transport: any Transport) async throws {
        let session = self.session
        let server = self.server
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: ToolCatalog.tools.map(\.tool))
        }
        await server.withMethodHandler(CallTool.self) { params in
            try await Self.call(params, session: session, server: server)
        }
        await resources.register(on: server)
        try await server.start(transport: transport)
        resources.startWatching(server)
    }

    /// Waits until the client closes the connection (stdin EOF for the stdio transport).
    public func waitUntilCompleted() async {
        await server.waitUntilCompleted()
    }

    /// Stops serving and the resource watch; the run stays a member until its session leaves.
    public func stop() async {
        resources.stopWatching()
        await server.stop()
    }

    /// Runs the tool `params` names, turning every refusal into a tool error result.
    /// - Throws: `CancellationError` only, when the request was cancelled: the SDK then sends no
    ///   answer, as the protocol wants.
    static func call(_ params: CallTool.Parameters, session: AgentSession, server: Server) async throws -> CallTool.Result {
        guard let entry = ToolCatalog.tool(named: params.name) else {
            let names = ToolCatalog.tools.map(\.tool.name).joined(separator: ", ")
            return ToolOutput.error("invalidInput: unknown tool '\(params.name)'; the tools are \(names)")
        }
        let context = ToolContext(progressToken: params._meta?.progressToken) { progress in
            try? await server.notify(ProgressNotification.message(progress))
        }
        do {
            let arguments = try ToolArguments(tool: params.name, values: params.arguments, accepted: entry.arguments)
            return try await entry.run(session, arguments, context).result()
        } catch let error as AgentPoolError {
            return ToolOutput.error(error.description)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return ToolOutput.error("\(error)")
        }
    }
}
