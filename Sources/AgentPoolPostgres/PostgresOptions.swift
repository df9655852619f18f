#if Postgres
import AgentPool
import Logging

/// How ``PostgresStore`` connects and waits (the PostgreSQL counterpart of `SQLiteOptions`). The
/// defaults suit most users.
public struct PostgresOptions: Sendable {
    /// How long a write waits for a lock held by another client (the pool row, the schema)
    /// before failing with the retryable `busy` (PostgreSQL's `lock_timeout`). 5 s by default.
    public var lockTimeout: Duration = .seconds(5)
    /// How long one statement may run on the server before the server cancels it and the call
    /// fails with the retryable `busy`, nothing of its transaction written (PostgreSQL's
    /// `statement_timeout`, SQLSTATE 57014). Nil by default: no limit, whatever the role's or
    /// database's own setting.
    public var statementTimeout: Duration?
    /// How long connecting may take before it fails with the retryable `busy` (the server is
    /// unavailable). 10 s by default; a URL's `connect_timeout` overrides it.
    public var connectTimeout: Duration = .seconds(10)
    /// How long the store waits for any one answer of the server before it gives the connection
    /// up as lost and the call fails with the retryable `busy`: the bound on a call made while
    /// the network is partitioned or the server has stopped answering without closing the
    /// connection (TCP alone would wait many minutes). A write whose COMMIT got no answer may
    /// have committed; retrying it with the same idempotency keys is safe. Keep it above
    /// ``lockTimeout`` and ``statementTimeout``. 30 s by default; a URL's `response_timeout`
    /// overrides it.
    public var responseTimeout: Duration = .seconds(30)
    /// The most connections the store opens for reads and writes (each runs one transaction at
    /// a time, on its own thread); one more listens for changes while anyone watches. 4 by default.
    public var maximumConnections: Int = 4
    /// How often a watched store confirms, by reading the pools' cursors, that it missed no
    /// change notification (the safety net behind LISTEN/NOTIFY). 1 s by default.
    public var safetyPoll: Duration = .seconds(1)
    /// Whether opening creates the store's schema and tables when they do not exist. When false,
    /// opening a location without a store fails with `notFound` and creates nothing (for tools
    /// whose read verbs must never create a database). True by default.
    public var createIfMissing = true
    /// The time source stamped on records.
    public var clock: any AgentPoolClock = SystemClock()
    /// Where the open summary and warnings go (never with the password).
    public var logger = Logger(label: "agentpool.postgres")
    /// Where metrics go (``AgentPoolMetrics``); nil: swift-metrics' bootstrapped global factory.
    public var metrics: AgentPoolMetrics?

    /// The default options.
    public init() {}
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
#endif
