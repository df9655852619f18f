import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import GRDB
import MetricsTestKit
import Testing

/// The SQLite backend's own metric: waits for another connection's write lock are
/// counted. (The counters every backend moves are checked by the conformance kit.)
@Suite struct BusyWaitMetricsTests {
    typealias Label = AgentPoolMetrics.Label

    @Test func aWriteThatFindsTheLockHeldByAnotherConnectionCountsABusyWait() async throws {
        let metrics = TestMetrics()
        let directory = try TemporaryDirectory()
        var options = quietOptions()
        options.metrics = AgentPoolMetrics(factory: metrics)
        options.busyTimeout = .milliseconds(20)
        let store = try SQLiteStore(path: "\(directory.path)/pool.sqlite", options: options)
        let pool = try await PoolHandle.open("pool", store: store)
        #expect(metrics.counterTotal(label: Label.busyWaits) == 0)
        // Another connection (as another process would) holds the write lock.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // it keeps its transaction open across accesses
        let other = try DatabaseQueue(path: "\(directory.path)/pool.sqlite", configuration: configuration)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        let error = await agentPoolErrorOf { try await pool.join(Member(runID: "blocked", agentID: "agent")) }
        #expect(error?.kind == .busy)
        #expect(metrics.counterTotal(label: Label.busyWaits) >= 1)
        try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
        try await pool.join(Member(runID: "after", agentID: "agent"))
        try other.close()
        try await store.close()
    }
}
