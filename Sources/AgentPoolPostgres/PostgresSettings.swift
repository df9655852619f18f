/// The settings an open PostgreSQL store runs with, read back from the server itself.
public struct PostgresSettings: Hashable, Sendable, Codable {
    /// The server's version (`server_version`).
    public var serverVersion: String
    /// The server's `synchronous_commit`: `on` (the default) makes every commit durable before
    /// it returns.
    public var synchronousCommit: String
    /// The store's lock timeout, in milliseconds.
    public var lockTimeoutMillis: Int
    /// The PostgreSQL schema holding the store's tables.
    public var schema: String
    /// The store's schema version (number of migrations applied).
    public var schemaVersion: Int

    /// Creates settings; stores read them with ``PostgresStore/settings()``.
    public init(serverVersion: String, synchronousCommit: String, lockTimeoutMillis: Int, schema: String, schemaVersion: Int) {
        self.serverVersion = serverVersion
        self.synchronousCommit = synchronousCommit
        self.lockTimeoutMillis = lockTimeoutMillis
        self.schema = schema
        self.schemaVersion = schemaVersion
    }

    enum CodingKeys: String, CodingKey {
        case serverVersion = "server_version", synchronousCommit = "synchronous_commit"
        case lockTimeoutMillis = "lock_timeout_ms", schema, schemaVersion = "schema_version"
    }
}
