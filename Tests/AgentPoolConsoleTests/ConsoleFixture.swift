import AgentPool
import AgentPoolConformance
import AgentPoolConsole
import AgentPoolSQLite
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus

/// A SQLite store on a manual clock with one pool, `review`, holding what every view shows:
/// two members (one leased), a message and its reply, a held claim and a dead letter.
struct ConsoleFixture: Sendable {
    static let pool = "review"
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let clock: ManualClock
    let registry: PrometheusCollectorRegistry

    init() async throws {
        directory = try TemporaryDirectory()
        clock = ManualClock()
        registry = PrometheusCollectorRegistry()
        var options = SQLiteOptions()
        options.clock = clock
        options.metrics = AgentPoolMetrics(factory: PrometheusMetricsFactory(registry: registry))
        store = try SQLiteStore(path: directory.path + "/console.sqlite", options: options)
        let pool = try await PoolHandle.open(Self.pool, store: store)
        try await pool.join(Member(runID: "writer-1", agentID: "writer"))
        try await pool.join(Member(runID: "reviewer-1", agentID: "reviewer"), leaseMillis: 60_000)
        try await pool.join(Member(runID: "worker-1", agentID: "worker"))
        try await pool.send(Message(messageID: "draft-1", from: "writer-1", to: .agent("reviewer"),
                                    body: .string("please review"), idempotencyKey: "draft-1"))
        try await pool.reply(to: "draft-1", with: Message(messageID: "re-draft-1", from: "reviewer-1", to: .run("writer-1"),
                                                          body: .string("looks good"), idempotencyKey: "re-draft-1"))
        // A dead letter: claimed once with one attempt allowed, then its claim ran out.
        try await pool.send(Message(messageID: "job-dead", from: "writer-1", to: .agent("worker"), contentRef: "s3://jobs/1", idempotencyKey: "job-dead", queued: true))
        _ = try await pool.claimNext("worker-1", leaseMillis: 1_000, maxAttempts: 1)
        clock.advance(by: 2_000)
        _ = try await pool.sweep()
        // A held claim.
        try await pool.send(Message(messageID: "job-held", from: "writer-1", to: .agent("worker"), contentRef: "s3://jobs/1", idempotencyKey: "job-held", queued: true))
        _ = try await pool.claimNext("worker-1", leaseMillis: 30_000)
    }

    /// A console over the fixture's store.
    func console(_ options: ConsoleOptions = ConsoleOptions()) -> Console {
        Console(store: store, options: options, registry: registry)
    }

    /// Runs `body` with a test client of a console with `options`.
    func test(_ options: ConsoleOptions = ConsoleOptions(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: console(options).router())
        try await app.test(.router, body)
        try await store.close()
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The body decoded as JSON.
    var json: Any { (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? NSNull() }
}
