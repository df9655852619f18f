#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
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

/// Another client holding a pool's row lock: a store of its own whose write body blocks its
/// worker thread (a lock held in the middle of a transaction) until ``release()``.
final class PoolLockHolder: Sendable {
    private let store: PostgresStore
    private let releaseSignal = DispatchSemaphore(value: 0)
    private let holding: Task<Void, any Error>

    /// Returns once `pool`'s row is locked.
    init(_ schema: TestSchema, pool: PoolID) async throws {
        store = try schema.open()
        let locked = DispatchSemaphore(value: 0)
        let releaseSignal = self.releaseSignal
        holding = Task { [store] in
            try await store.write(pool) { tx in
                _ = try tx.info()
                locked.signal()
                releaseSignal.wait()
            }
        }
        await withCheckedContinuation { continuation in
            Thread { locked.wait(); continuation.resume() }.start()
        }
    }

    /// Ends the holder's transaction (writing nothing) and closes its store.
    func release() async throws {
        releaseSignal.signal()
        try await holding.value
        try await store.close()
    }
}

/// The ``AgentPoolError`` thrown by `body`, or nil.
func agentPoolErrorOf(_ body: () async throws -> Void) async -> AgentPoolError? {
    do { try await body(); return nil } catch { return error as? AgentPoolError }
}

#endif
