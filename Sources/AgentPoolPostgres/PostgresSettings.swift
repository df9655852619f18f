#if Postgres
import AgentPool

/// The settings an open PostgreSQL store runs with, read back from the server itself (reports
/// list them through ``PostgresStore/diagnose()``).
struct PostgresSettings: Sendable {
    /// In the order a report lists them: `server_version`, `synchronous_commit` (`on`, the
    /// default, makes every commit durable before it returns), `lock_timeout_ms`, `schema`.
    var all: [StoreSetting]
    /// The store's schema version (number of migrations applied).
    var schemaVersion: Int
}
#endif
