#if Postgres
import AgentPool
import AgentPoolPostgres
import Foundation

/// The PostgreSQL server the tests run against: `AGENTPOOL_TEST_POSTGRES_URL`
/// (`scripts/postgres-test-server start DIR` starts a throwaway one and prints it).
///
/// Without it the PostgreSQL tests are skipped, saying why, except under `CI=true`, where a
/// missing server is a failure: CI must run them.
public enum PostgresTestServer {
    /// The configured server URL, if any.
    public static var baseURL: String? {
        guard let url = ProcessInfo.processInfo.environment["AGENTPOOL_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Whether CI runs the tests (`CI=true`): PostgreSQL tests must then run, not skip.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether the PostgreSQL tests run: a server is configured, or CI requires one.
    public static var isEnabled: Bool { baseURL != nil || isRequired }

    /// Why the PostgreSQL tests did not run, for `.enabled(if:)` traits.
    public static let skipReason = """
        PostgreSQL tests skipped: AGENTPOOL_TEST_POSTGRES_URL is not set. Start a throwaway server with \
        `eval "$(scripts/postgres-test-server start /tmp/agentpool-pg)"` to run them (under CI=true they fail instead).
        """

    /// The server URL, or an error saying that none is configured.
    public static func requireBaseURL() throws -> String {
        guard let url = baseURL else {
            throw AgentPoolError.make(.storage, "AGENTPOOL_TEST_POSTGRES_URL is not set\(isRequired ? " but CI=true requires a PostgreSQL server" : "")")
        }
        return url
    }

    /// A URL to the schema of one test context, derived from its temporary directory so that a
    /// reopened store finds its data again. The schema is created by the first store opened on it.
    public static func url(forDirectory directory: String) throws -> String {
        try url(schema: schemaName(forDirectory: directory))
    }

    /// A URL to a new, unique schema (for tests that manage their stores themselves; drop it with
    /// ``dropSchema(url:)``).
    public static func freshURL() throws -> String {
        try url(schema: schemaName(forDirectory: UUID().uuidString))
    }

    static func url(schema: String) throws -> String {
        let base = try requireBaseURL()
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    static func schemaName(forDirectory directory: String) -> String {
        let last = directory.split(separator: "/").last.map(String.init) ?? directory
        let hex = last.lowercased().filter { $0.isHexDigit }
        return "t_" + String(hex.suffix(32))
    }

    /// Drops the schema at `url` with everything in it.
    public static func dropSchema(url: String) async throws {
        let location = try PostgresLocation(url: url)
        try await PostgresAdmin.execute(location, ["DROP SCHEMA IF EXISTS \"\(location.schema)\" CASCADE"])
    }
}
#endif
