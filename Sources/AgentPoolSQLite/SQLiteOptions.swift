import AgentPool
import Logging

/// How ``SQLiteStore`` opens its file (SPEC §12). The defaults suit most users.
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
    /// Where the open summary and warnings go.
    public var logger = Logger(label: "agentpool.sqlite")
    /// Called with the SQL of every statement the store runs; for debugging and tests.
    public var statementTrace: (@Sendable (String) -> Void)?

    /// The default options.
    public init() {}
}
