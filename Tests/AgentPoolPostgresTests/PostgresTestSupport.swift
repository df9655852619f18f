#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Logging
import Testing

/// Skips a suite, saying why, when no PostgreSQL server is configured (a failure under CI=true).
let requiresPostgres = ConditionTrait.enabled(if: PostgresTestServer.isEnabled, Comment(rawValue: PostgresTestServer.skipReason))

/// A fresh schema on the test server, dropped when the value is released.
final class TestSchema: Sendable {
    /// The URL of the schema (no password on the test server).
    let url: String
    let location: PostgresLocation

    init() throws {
        url = try PostgresTestServer.freshURL()
        location = try PostgresLocation(url: url)
    }

    /// Opens a store on the schema with a quiet logger.
    func open(_ configure: (inout PostgresOptions) -> Void = { _ in }) throws -> PostgresStore {
        var options = PostgresOptions()
        options.logger.logLevel = .warning
        configure(&options)
        return try PostgresStore(location: location, options: options)
    }

    /// Runs statements in the schema on a connection of their own; the rows of the last one.
    @discardableResult
    func sql(_ statements: String...) async throws -> [String?] {
        try await PostgresAdmin.execute(location, statements)
    }

    deinit {
        let location = location
        try? PostgresAdmin.dropSchema(location)
    }
}

/// The ``AgentPoolError`` thrown by `body`, or nil.
func agentPoolErrorOf(_ body: () async throws -> Void) async -> AgentPoolError? {
    do { try await body(); return nil } catch { return error as? AgentPoolError }
}

#endif
