import AgentPool
import MetricsTestKit
import Testing

/// Metrics through swift-metrics: a test metrics backend sees every counter move,
/// and only for writes that committed.
enum MetricsChecks {
    typealias F = CoordinatorFixture
    typealias Label = AgentPoolMetrics.Label

    static func everyCounterMovesForCommittedWritesOnly(_ harness: StoreFactory) async throws {
        let metrics = TestMetrics()
        let context = try await harness.makeContext(metrics: AgentPoolMetrics(factory: metrics))
        let (store, clock) = (context.store, context.clock)
        let pool = try await PoolHandle.open("pool", store: store)
        try await pool.join(F.member("dispatcher"))
        try await pool.join(F.member("worker"), leaseMillis: 1_000)
        try await pool.send(F.message("task", from: "dispatcher", to: .run("worker")))

        // A refused write appends nothing and counts nothing.
        let appended = metrics.counterTotal(label: Label.recordsAppended)
        #expect(await agentPoolError { try await pool.send(F.message("x", from: "stranger", to: .run("worker"))) }?.kind == .notMember)
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
    }
}

extension Conformance {
    static let metrics: [ConformanceCheck] = [
        ConformanceCheck("Metrics", "everyCounterMovesForCommittedWritesOnly", MetricsChecks.everyCounterMovesForCommittedWritesOnly),
    ]
}
