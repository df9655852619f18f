import CoreMetrics

/// The store's counters and recorders, reported through swift-metrics.
///
/// By default they go to `MetricsSystem.factory` — a no-op until the application bootstraps a
/// backend (Prometheus, StatsD, a test kit). Pass another factory to report elsewhere. Counters
/// move only for writes that committed.
///
/// | label | kind | what |
/// |---|---|---|
/// | `agentpool_records_appended_total` | counter | records appended |
/// | `agentpool_busy_waits_total` | counter | writes that had to wait for another writer's lock |
/// | `agentpool_watch_lag_ms` | recorder | now − `recorded_at` of each record a watcher yields |
/// | `agentpool_consumer_lag_records` | gauge, dims `pool`, `consumer` | pool cursor − consumer cursor at each ack |
/// | `agentpool_leases_expired_total` | counter | members removed because their lease ran out |
/// | `agentpool_claims_expired_total` | counter | claims that ran out |
/// | `agentpool_dead_letters_total` | counter | messages failed with reason `max_attempts` |
public final class AgentPoolMetrics: Sendable {
    /// The labels the metrics are reported under.
    public enum Label {
        /// Counter: records appended.
        public static let recordsAppended = "agentpool_records_appended_total"
        /// Counter: writes that waited for another writer's lock.
        public static let busyWaits = "agentpool_busy_waits_total"
        /// Recorder: now − `recorded_at` of each record a watcher yields, in ms.
        public static let watchLag = "agentpool_watch_lag_ms"
        /// Gauge (dimensions `pool`, `consumer`): pool cursor − consumer cursor at each ack.
        public static let consumerLag = "agentpool_consumer_lag_records"
        /// Counter: members removed because their lease ran out.
        public static let leasesExpired = "agentpool_leases_expired_total"
        /// Counter: claims that ran out.
        public static let claimsExpired = "agentpool_claims_expired_total"
        /// Counter: messages failed with reason `max_attempts`.
        public static let deadLetters = "agentpool_dead_letters_total"
    }

    private let factory: any MetricsFactory
    private let recordsAppended: Counter
    private let busyWaits: Counter
    private let watchLag: Recorder
    private let leasesExpired: Counter
    private let claimsExpired: Counter
    private let deadLetters: Counter

    /// Metrics reported to `factory` (the bootstrapped global one by default).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        recordsAppended = Counter(label: Label.recordsAppended, factory: factory)
        busyWaits = Counter(label: Label.busyWaits, factory: factory)
        watchLag = Recorder(label: Label.watchLag, factory: factory)
        leasesExpired = Counter(label: Label.leasesExpired, factory: factory)
        claimsExpired = Counter(label: Label.claimsExpired, factory: factory)
        deadLetters = Counter(label: Label.deadLetters, factory: factory)
    }

    /// `count` records were appended by a committed write.
    package func recordsAppended(_ count: Int) {
        if count > 0 { recordsAppended.increment(by: Int64(count)) }
    }

    /// A write waited for another writer's lock.
    package func busyWait() { busyWaits.increment() }

    /// A watcher yielded a record `lagMillis` after it was recorded.
    package func watchLag(_ lagMillis: Millis) { watchLag.record(max(lagMillis, 0)) }

    /// Consumer `name` of `pool` acked and is `lag` records behind the pool's cursor.
    package func consumerLag(pool: PoolID, consumer name: String, lag: Seq) {
        Gauge(label: Label.consumerLag, dimensions: [("pool", pool), ("consumer", name)], factory: factory).record(lag)
    }

    /// Reports what a committed coordinated write expired.
    func report(_ tally: CoordinationTally) {
        if tally.leasesExpired > 0 { leasesExpired.increment(by: Int64(tally.leasesExpired)) }
        if tally.claimsExpired > 0 { claimsExpired.increment(by: Int64(tally.claimsExpired)) }
        if tally.deadLetters > 0 { deadLetters.increment(by: Int64(tally.deadLetters)) }
    }
}
