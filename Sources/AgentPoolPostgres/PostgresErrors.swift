#if Postgres
import AgentPool
import PostgresNIO

/// Maps errors of postgres-nio to ``AgentPoolError``, with the password never in the message.
enum PostgresErrors {
    /// SQLSTATEs that mean "another client holds what this transaction needs": the transaction
    /// was rolled back and the same call can succeed later.
    static let retryableStates: Set<String> = [
        "55P03",  // lock_not_available: lock_timeout expired
        "40001",  // serialization_failure
        "40P01",  // deadlock_detected
    ]

    /// `error` as an ``AgentPoolError`` (errors that already are one, or that a caller's body
    /// threw, pass through unchanged).
    static func map(_ error: any Error, location: PostgresLocation) -> any Error {
        switch error {
        case let error as AgentPoolError:
            return error
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                let text = clean(error.serverInfo?[.message] ?? "server error", location: location)
                if retryableStates.contains(state) {
                    return AgentPoolError.make(.busy, "the database stayed locked past the lock timeout: \(text) (SQLSTATE \(state))")
                }
                var message = "\(text) (SQLSTATE \(state))"
                if let detail = error.serverInfo?[.detail] { message += ": " + clean(detail, location: location) }
                return AgentPoolError.make(.storage, message)
            }
            var message = "PostgreSQL at \(location.redacted): \(error.code)"
            if let underlying = error.underlying { message += ": " + clean("\(underlying)", location: location) }
            return AgentPoolError.make(.storage, message)
        case is ConnectionLost:
            return AgentPoolError.make(.storage, "the connection to PostgreSQL at \(location.redacted) was lost")
        case let error as PostgresDecodingError:
            return AgentPoolError.corruptRecord("column '\(error.columnName)' cannot be read as \(error.targetType): \(error.code)")
        case is CancellationError:
            return error
        default:
            // Connection errors of NIO and the like: keep the text, never the password.
            let text = "\(error)"
            return text.isEmpty ? error : AgentPoolError.make(.storage, "PostgreSQL at \(location.redacted): " + clean(text, location: location))
        }
    }

    /// Whether `error` means that the connection is gone (closed, reset, or ended by the server:
    /// SQLSTATE classes 08 and 57P), as opposed to a statement that failed on a live connection.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else { return error is ConnectionLost || error is ChannelError || error is IOError }
        if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("08") || state.hasPrefix("57P") }
        return [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(error.code)
    }

    /// `text` with the location's password, and any URL password, replaced by `***`.
    static func clean(_ text: String, location: PostgresLocation) -> String {
        var text = PasswordRedaction.redact(text)
        if let password = location.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return text
    }

    /// A statement that the connection closed under before it completed.
    struct ConnectionLost: Error {}

    /// The store's "closed" error.
    static let closed = AgentPoolError.make(.storage, "the PostgreSQL store is closed")
}
#endif
