#if Postgres
import AgentPool
import Foundation
import PostgresNIO

/// Statements run outside any store, on a connection of their own: for the package's tests and
/// tools (dropping a test schema, inspecting backends), never for pool data.
package enum PostgresAdmin {
    /// Runs each of `statements` in order on one new connection to `location` (autocommit) and
    /// returns the text of every row of the last one (first column; nil for NULL). Runs on a
    /// thread of its own, so the caller's task never blocks a cooperative thread.
    @discardableResult
    package static func execute(_ location: PostgresLocation, _ statements: [String]) async throws -> [String?] {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[String?], any Error>) in
            Thread {
                continuation.resume(with: Result { try executeBlocking(location, statements) })
            }.start()
        }
    }

    /// ``execute(_:_:)`` on the calling thread, which blocks; never call it on an event loop.
    @discardableResult
    package static func executeBlocking(_ location: PostgresLocation, _ statements: [String]) throws -> [String?] {
        var options = PostgresOptions()
        options.logger.logLevel = .error
        let session = try PostgresSession.connect(location, options: options, role: "admin")
        defer { session.close() }
        var rows: [PostgresRow] = []
        for statement in statements { rows = try session.query(statement) }
        return try rows.map { row in try row.first.flatMap { cell in try cell.decode(String?.self) } }
    }

    /// Drops the store's schema with everything in it (`DROP SCHEMA … CASCADE`).
    package static func dropSchema(_ location: PostgresLocation) throws {
        try executeBlocking(location, ["DROP SCHEMA IF EXISTS \"\(location.schema)\" CASCADE"])
    }
}
#endif
