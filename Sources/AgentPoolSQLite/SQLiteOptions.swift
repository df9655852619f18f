import AgentPool
import Logging

/// How ``SQLiteStore`` opens its file. The defaults suit most users.
public struct SQLiteOptions: Sendable {
    /// SQLite's `synchronous` setting.
    public enum Synchronous: String, Sendable {
        /// Durable against process crashes; the last transactions may be lost on power loss.
        case normal = "NORMAL"
        /// Also durable against power loss, at a higher cost per write.
        case full = "FULL"
    }

    /// `NORMAL` by default.
    public var synchronous: Synchronous = .normal
    /// How long a write waits for another process's lock before failing with `busy`. 5 s by default.
    public var busyTimeout: Duration = .seconds(5)
    /// The time source stamped on records.
    public var clock: any AgentPoolClock = SystemClock()
    /// How far (ms) the system clock as this process reads it may differ from the machine's
    /// kernel clock before every write is refused with `clockSkew` (see the clock model in
    /// RELIABILITY.md); 0 turns the check off. 1 s by default. Only the system clock is checked.
    public var clockToleranceMillis: Int64 = 1_000
    /// The size the `-wal` file is truncated back to after a checkpoint (SQLite's
    /// `journal_size_limit`); with SQLite's automatic checkpoint every 1,000 pages it bounds the
    /// WAL at a few MiB however much is written, as long as no reader pins it. 4 MiB by default.
    public var walSizeLimitBytes: Int = 4 << 20
    /// Where the open summary and warnings go.
    public var logger = Logger(label: "agentpool.sqlite")
    /// Where metrics go (``AgentPoolMetrics``); nil: swift-metrics' bootstrapped global factory.
    public var metrics: AgentPoolMetrics?
    /// Called with the SQL of every statement the store runs; for debugging and tests.
    public var statementTrace: (@Sendable (String) -> Void)?
    /// Called after each commit with the WAL's length in frames (SQLite's WAL hook), for the
    /// benchmark's frames per write. Installing it replaces SQLite's automatic checkpoint, so the
    /// store then checkpoints as that does: PASSIVE, once the WAL holds 1,000 frames.
    package var walCommitHook: (@Sendable (Int32) -> Void)?
    /// Whether watchers wake on the `-notify` sidecar's shared counter (a futex, Linux) rather
    /// than on a file notification; for tests of both paths. True by default.
    package var sharedWordWakeUps = true
    /// How often a waiting store probes the file in case a wake-up was missed; tests that must
    /// see a missed wake-up set it long. 1 s by default.
    package var safetyPoll: Duration = .seconds(1)

    /// The default options.
    public init() {}
}
