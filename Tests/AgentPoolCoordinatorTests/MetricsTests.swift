import AgentPool
import AgentPoolPostgres
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import GRDB
import MetricsTestKit
import Testing

/// Metrics through swift-metrics (SPEC §15): a test metrics backend sees every counter move,
/// and only for writes that committed.
@Suite struct MetricsTests {
    typealias F = CoordinatorFixture
    typealias Label = AgentPoolMetrics.Label

    enum Backend: String, CaseIterable {
        case inMemory = "InMemory", sqlite = "SQLite", postgres = "PostgreSQL"

        /// The backends to test: PostgreSQL when a test server is configured (or CI requires one).
        static var enabled: [Backend] { PostgresTestServer.isEnabled ? allCases : [.inMemory, .sqlite] }
    }

    /// A store of `backend` reporting to `metrics`, on a manual clock.
    func makeStore(_ backend: Backend, metrics: TestMetrics, clock: ManualClock, directory: TemporaryDirectory,
                   busyTimeout: Duration = .seconds(5)) throws -> any PoolStore {
        switch backend {
        case .inMemory:
            return InMemoryStore(clock: clock, metrics: AgentPoolMetrics(factory: metrics))
        case .sqlite:
            var options = SQLiteOptions()
            options.clock = clock
            options.metrics = AgentPoolMetrics(factory: metrics)
            options.busyTimeout = busyTimeout
            options.logger.logLevel = .warning
            return try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: options)
        case .postgres:
            var options = PostgresOptions()
            options.clock = clock
            options.metrics = AgentPoolMetrics(factory: metrics)
            options.logger.logLevel = .warning
            return try PostgresStore(url: try PostgresTestServer.url(forDirectory: directory.path), options: options)
        }
    }

    @Test(arguments: Backend.enabled)
    func everyCounterMovesForCommittedWritesOnly(_ backend: Backend) async throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let directory = try TemporaryDirectory()
        let store = try makeStore(backend, metrics: metrics, clock: clock, directory: directory)
        let pool = try await PoolHandle.open("pool", store: store)
        try await pool.join(F.member("dispatcher"))
        try await pool.join(F.member("worker"), leaseMillis: 1_000)
        try await pool.send(F.message("task", from: "dispatcher", to: .run("worker")))

        // A refused write appends nothing and counts nothing.
        let appended = metrics.counterTotal(label: Label.recordsAppended)
        #expect(await thrownError { try await pool.send(F.message("x", from: "stranger", to: .run("worker"))) }?.kind == .notMember)
        #expect(metrics.counterTotal(label: Label.recordsAppended) == appended)

        // A claim runs out with max_attempts 1: one expired claim, one dead letter.
        _ = try #require(try await pool.claimNext("worker", leaseMillis: 100, maxAttempts: 1))
        clock.advance(by: 100)
        try await pool.sweep()
        #expect(metrics.counterTotal(label: Label.claimsExpired) == 1)
        #expect(metrics.counterTotal(label: Label.deadLetters) == 1)
        #expect(metrics.counterTotal(label: Label.leasesExpired) == 0)
        // The worker stops heartbeating: one expired lease.
        clock.advance(by: 1_000)
        try await pool.sweep()
        #expect(metrics.counterTotal(label: Label.leasesExpired) == 1)
        #expect(metrics.counterTotal(label: Label.recordsAppended) == Int64(try await store.allRecords("pool").count))

        // A durable consumer's lag is the pool's cursor minus its ack, at each ack.
        let cursor = try #require(try await pool.snapshot().cursor)
        try await pool.consumer("audit").ack(2)
        #expect(try metrics.expectGauge(Label.consumerLag, [("pool", "pool"), ("consumer", "audit")]).lastValue == Double(cursor - 2))

        // A watcher reports how long after its recording each record reached it.
        clock.advance(by: 250)
        var iterator = pool.watch(after: cursor - 1).makeAsyncIterator()
        let record = try #require(try await iterator.next())
        #expect(try metrics.expectRecorder(Label.watchLag).lastValue == Double(clock.nowMillis() - record.recordedAt))
        #expect(try metrics.expectRecorder(Label.watchLag).lastValue ?? 0 >= 250)
        try await store.close()
        if backend == .postgres { try await PostgresTestServer.dropSchema(url: try PostgresTestServer.url(forDirectory: directory.path)) }
    }

    @Test func aWriteThatFindsTheLockHeldByAnotherConnectionCountsABusyWait() async throws {
        let metrics = TestMetrics()
        let directory = try TemporaryDirectory()
        let store = try makeStore(.sqlite, metrics: metrics, clock: ManualClock(), directory: directory, busyTimeout: .milliseconds(20))
        let pool = try await PoolHandle.open("pool", store: store)
        #expect(metrics.counterTotal(label: Label.busyWaits) == 0)
        // Another connection (as another process would) holds the write lock.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // it keeps its transaction open across accesses
        let other = try DatabaseQueue(path: "\(directory.path)/pool.sqlite", configuration: configuration)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let error = await thrownError { try await pool.join(F.member("blocked")) }
        #expect(error?.kind == .busy)
        #expect(metrics.counterTotal(label: Label.busyWaits) >= 1)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try await pool.join(F.member("after"))
        try other.close()
        try await store.close()
    }
}
