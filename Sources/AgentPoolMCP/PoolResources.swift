import AgentPool
import Foundation
import MCP
import Synchronization

/// The server's resources — the run's unread inbox and the pool's snapshot, as JSON — and their
/// subscriptions: a subscribed client gets `notifications/resources/updated` when a record
/// changes what the resource shows, driven by the store's watch (change notifications, no
/// polling), from this process's writes and every other process's alike.
final class PoolResources: Sendable {
    /// The session the resources show.
    let session: AgentSession
    /// The URIs clients subscribed to.
    private let subscribed = Mutex<Set<String>>([])
    /// The watch task, while it runs.
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    /// The resources of `session`.
    init(session: AgentSession) { self.session = session }

    /// `agentpool://<pool>/runs/<run>/inbox`: the messages after the run's acknowledged cursor
    /// (reading it acknowledges nothing).
    var inboxURI: String { "agentpool://\(session.pool.poolID)/runs/\(session.runID)/inbox" }
    /// `agentpool://<pool>/snapshot`: the pool's members, topics, messages and wakes.
    var snapshotURI: String { "agentpool://\(session.pool.poolID)/snapshot" }

    /// Registers `resources/list`, `resources/read`, `resources/subscribe` and
    /// `resources/unsubscribe` on `server`.
    func register(on server: Server) async {
        let inboxURI = self.inboxURI, snapshotURI = self.snapshotURI
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: [
                Resource(name: "inbox", uri: inboxURI, description: "Unread messages of this run (after its acknowledged cursor).",
                         mimeType: "application/json"),
                Resource(name: "snapshot", uri: snapshotURI, description: "The pool's snapshot: members, topics, messages, wakes.",
                         mimeType: "application/json"),
            ])
        }
        await server.withMethodHandler(ReadResource.self) { [self] params in
            ReadResource.Result(contents: [.text(try await read(params.uri), uri: params.uri, mimeType: "application/json")])
        }
        await server.withMethodHandler(ResourceSubscribe.self) { [self] params in
            try check(params.uri)
            subscribed.withLock { _ = $0.insert(params.uri) }
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { [self] params in
            subscribed.withLock { _ = $0.remove(params.uri) }
            return Empty()
        }
    }

    /// The JSON text of resource `uri`.
    /// - Throws: `MCPError.invalidParams` for an unknown URI; the store's errors.
    func read(_ uri: String) async throws -> String {
        try check(uri)
        if uri == snapshotURI { return JSONBridge.text(try await session.pool.snapshot()) }
        let (items, cursor) = try await session.unacknowledged(ack: false)
        return JSONBridge.text(InboxPage(cursor: cursor, messages: items.map(MessageView.init)))
    }

    /// Throws `MCPError.invalidParams` unless `uri` is one of the two resources.
    private func check(_ uri: String) throws {
        guard uri == inboxURI || uri == snapshotURI else {
            throw MCPError.invalidParams("unknown resource '\(uri)'; the resources are \(inboxURI) and \(snapshotURI)")
        }
    }

    /// Starts watching the pool from its cursor now: each later record notifies the snapshot's
    /// subscribers, and a record that delivers a message to the run notifies the inbox's.
    func startWatching(_ server: Server) {
        let session = self.session, inboxURI = self.inboxURI, snapshotURI = self.snapshotURI
        let task = Task { [self] in
            do {
                for try await record in session.pool.watch(after: try await session.poolCursor()) {
                    let event = PoolEvent(record)
                    var updated: [String] = [snapshotURI]
                    if let event, event.kind == .message(.delivered), event.targets.contains(session.runID) {
                        updated.append(inboxURI)
                    }
                    for uri in updated where subscribed.withLock({ $0.contains(uri) }) {
                        try? await server.notify(ResourceUpdatedNotification.message(.init(uri: uri)))
                    }
                }
            } catch {
                // Cancelled, or the pool is gone: nothing more to report.
            }
        }
        watcher.withLock { $0 = task }
    }

    /// Stops the watch.
    func stopWatching() {
        watcher.withLock { $0?.cancel(); $0 = nil }
    }
}

/// The inbox resource's content: the acknowledged cursor and the messages after it.
struct InboxPage: Encodable {
    /// The acknowledged cursor.
    var cursor: Seq
    /// The unread messages.
    var messages: [MessageView]
}
