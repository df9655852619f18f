#if Postgres
import AgentPoolPostgres
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL baseline: single-row INSERT transactions (autocommit, one round trip and one
/// commit each) through postgres-nio's async API on one connection, on the same server, in a
/// schema of its own — what a careful program gets from the server and the driver alone.
enum RawPostgresBaseline {
    /// Committed transactions per second over `count` transactions.
    static func transactionsPerSecond(url: String, count: Int) async throws -> Double {
        var location = try PostgresLocation(url: url)
        location.schema = "bench_raw_\(getpid())"
        var logger = Logger(label: "agentpool-bench")
        logger.logLevel = .warning
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        let table = "\"\(location.schema)\".log"
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \"\(location.schema)\""), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (id bigserial PRIMARY KEY, payload text NOT NULL)"), logger: logger)
        let payload = #"{"stored":{"message":{"message_id":"m"},"receipt":{"status":"accepted"}},"type":"run_message"}"#
        let start = monotonicNanos()
        for _ in 0..<count {
            var bindings = PostgresBindings()
            bindings.append(payload)
            try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO \(table) (payload) VALUES ($1)", binds: bindings), logger: logger)
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(location.schema)\" CASCADE"), logger: logger)
        try await connection.close()
        return Double(count) / elapsed
    }
}
#endif
