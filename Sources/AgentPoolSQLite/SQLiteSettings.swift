/// The settings an open SQLite store runs with, read back from SQLite itself (reports list them
/// through ``SQLiteStore/diagnose()``).
public struct SQLiteSettings: Hashable, Sendable {
    /// `wal` for every agent-pool database.
    public var journalMode: String
    /// `NORMAL` or `FULL`.
    public var synchronous: String
    /// The busy timeout, in milliseconds.
    public var busyTimeoutMillis: Int
    /// Whether foreign keys are enforced.
    public var foreignKeys: Bool
    /// The schema version (number of migrations applied).
    public var schemaVersion: Int

    /// Creates settings; stores read them with ``SQLiteStore/settings()``.
    public init(journalMode: String, synchronous: String, busyTimeoutMillis: Int, foreignKeys: Bool, schemaVersion: Int) {
        self.journalMode = journalMode
        self.synchronous = synchronous
        self.busyTimeoutMillis = busyTimeoutMillis
        self.foreignKeys = foreignKeys
        self.schemaVersion = schemaVersion
    }
}
