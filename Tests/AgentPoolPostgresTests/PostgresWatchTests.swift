#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// LISTEN/NOTIFY: watchers of one store see what other clients commit, and survive losing the
/// listening connection.
@Suite(requiresPostgres) struct PostgreSQLWatchTests {
    /// A store whose only change detection is LISTEN/NOTIFY: its safety poll never fires in a test.
    func listenOnly(_ schema: TestSchema) throws -> PostgresStore {
        try schema.open { $0.safetyPoll = .seconds(3600) }
    }

    func watch(_ store: PostgresStore, count: Int) -> Task<[Seq], any Error> {
        Task {
            var seqs: [Seq] = []
            for try await record in RecordWatch(store: store, poolID: "p", after: 0) {
                seqs.append(record.seq)
                if seqs.count == count { break }
            }
            return seqs
        }
    }

    @Test func aWatcherSeesRecordsCommittedThroughAnotherClientsConnections() async throws {
        let schema = try TestSchema()
        let writer = try schema.open()
        let watched = try listenOnly(schema)
        try await writer.openPool("p")
        let watcher = watch(watched, count: 21)
        await watched.waitForListenerConnection(after: 0)
        for index in 0..<20 { try await writer.join("p", Member(runID: "run-\(index)", agentID: "a")) }
        #expect(try await watcher.value == Array(1...21))
        try await writer.close()
        try await watched.close()
    }

    @Test func aDroppedListeningConnectionIsReestablishedAndTheWatcherGoesOnWithNoGapAndNoDuplicate() async throws {
        let schema = try TestSchema()
        let writer = try schema.open()
        let watched = try listenOnly(schema)
        try await writer.openPool("p")
        let watcher = watch(watched, count: 16)
        await watched.waitForListenerConnection(after: 0)
        for index in 0..<5 { try await writer.join("p", Member(runID: "before-\(index)", agentID: "a")) }

        // Kill the listener's backend from another connection, as a server restart or a network
        // cut would; then write while it is gone.
        let terminated = try await schema.sql("""
            SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity
            WHERE application_name = 'agentpool listener \(schema.location.schema)'
            """)
        #expect(terminated == ["true"])
        for index in 0..<5 { try await writer.join("p", Member(runID: "during-\(index)", agentID: "a")) }
        await watched.waitForListenerConnection(after: 1)
        for index in 0..<5 { try await writer.join("p", Member(runID: "after-\(index)", agentID: "a")) }

        #expect(try await watcher.value == Array(1...16))
        #expect(watched.listenerConnectionCount >= 2)
        try await writer.close()
        try await watched.close()
    }

    @Test func everyCommittedWriteNotifiesTheSchemasChannelWithPoolAndSeq() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        let location = schema.location
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: .disable),
            id: 1, logger: logger)
        let (listening, ready) = AsyncStream.makeStream(of: Void.self)
        let payloads = Task {
            try await connection.listen(on: location.schema) { notifications in
                ready.yield()
                var payloads: [String] = []
                for try await notification in notifications {
                    payloads.append(notification.payload)
                    if payloads.count == 2 { break }
                }
                return payloads
            }
        }
        for await _ in listening { break }
        try await store.openPool("p")
        _ = try? await store.write("p") { tx in
            _ = try tx.join(Member(runID: "never", agentID: "a"))
            throw CancellationError()  // rolled back: PostgreSQL drops its notification
        }
        try await store.join("p", Member(runID: "r", agentID: "a"))
        #expect(try await payloads.value == ["p:1", "p:2"])
        try await connection.close()
        try await store.close()
    }

    @Test func aStoreNobodyWatchesOpensNoListeningConnection() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p")
        _ = try await store.snapshot("p")
        #expect(store.listenerConnectionCount == 0)
        try await store.close()
    }
}
#endif
