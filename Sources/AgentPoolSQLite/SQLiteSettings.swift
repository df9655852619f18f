/// The settings an open SQLite store runs with, read back from SQLite itself.
public struct SQLiteSettings: Hashable, Sendable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case journalMode = "journal_mode", synchronous, busyTimeoutMillis = "busy_timeout_ms"
        case foreignKeys = "foreign_keys", schemaVersion = "schema_version"
    }
}
