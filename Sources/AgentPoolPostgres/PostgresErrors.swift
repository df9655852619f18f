#if Postgres
import AgentPool
import PostgresNIO

/// Maps errors of postgres-nio to ``AgentPoolError``, with the password never in the message.
///
/// Every error that a later attempt of the same call can escape is the retryable `busy`: a lock or
/// statement timeout, a conflict with another transaction, and a server that is unavailable for a
/// while (restarting, unreachable, its connection lost). Everything else, a refused login, a
/// missing database, a certificate that does not verify, is `storage`.
enum PostgresErrors {
    /// SQLSTATEs that mean "another client holds what this transaction needs, or it ran too long":
    /// the transaction was rolled back and the same call can succeed later.
    static let retryableStates: [String: String] = [
        "55P03": "the database stayed locked past the lock timeout",  // lock_not_available (lock_timeout)
        "57014": "the statement ran past the statement timeout",  // query_canceled (statement_timeout)
        "40001": "the transaction conflicted with another client's",  // serialization_failure
        "40P01": "the transaction deadlocked with another client's",  // deadlock_detected
    ]

    /// SQLSTATEs (or their class, for "08") that mean the server is unavailable for a while: shutting
    /// down, starting up, out of connection slots, or the connection broke.
    static func isUnavailableState(_ state: String) -> Bool {
        state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
    }

    /// `error` as an ``AgentPoolError`` (errors that already are one, or that a caller's body
    /// threw, pass through unchanged).
    static func map(_ error: any Error, location: PostgresLocation) -> any Error {
        switch error {
        case let error as AgentPoolError:
            return error
        case let error as PSQLError:
            if let state = error.serverInfo?[.sqlState] {
                let text = clean(error.serverInfo?[.message] ?? "server error", location: location)
                if let reason = retryableStates[state] {
                    return AgentPoolError.make(.busy, "\(reason): \(text) (SQLSTATE \(state))")
                }
                if isUnavailableState(state) { return unavailable(location, "\(text) (SQLSTATE \(state))") }
                var message = "\(text) (SQLSTATE \(state))"
                if let detail = error.serverInfo?[.detail] { message += ": " + clean(detail, location: location) }
                return AgentPoolError.make(.storage, message)
            }
            var reason = "\(error.code)"
            if let underlying = error.underlying { reason += ": " + clean("\(underlying)", location: location) }
            if isConnectionLoss(error) { return unavailable(location, reason) }
            return AgentPoolError.make(.storage, "PostgreSQL at \(location.redacted): " + reason)
        case let error as ConnectionLost:
            return unavailable(location, error.reason)
        case is ChannelError, is IOError, is NIOConnectionError:
            return unavailable(location, clean("\(error)", location: location))
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

    /// The retryable error of a server that cannot be reached or dropped the connection.
    static func unavailable(_ location: PostgresLocation, _ reason: String) -> AgentPoolError {
        AgentPoolError.make(.busy, "PostgreSQL at \(location.redacted) is unavailable (\(reason)); retrying can succeed once it answers again")
    }

    /// The retryable error of a write whose COMMIT was sent but never answered: it may have
    /// committed, so only a retry that is idempotent (the same keys) is safe.
    static func outcomeUnknown(_ location: PostgresLocation) -> AgentPoolError {
        AgentPoolError.make(.busy, """
            the connection to PostgreSQL at \(location.redacted) was lost after COMMIT was sent: the write may have \
            committed; retrying it with the same idempotency keys returns the committed result if there is one
            """)
    }

    /// Whether `error` means that the connection is gone or could not be made (closed, reset,
    /// refused, timed out, or ended by the server: SQLSTATE classes 08 and 57P), as opposed to a
    /// statement that failed on a live connection or a login the server refused. A TLS failure is
    /// not one: a certificate that does not verify will not verify on the next attempt either.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError else {
            return error is ConnectionLost || error is ChannelError || error is IOError || error is NIOConnectionError
        }
        if let state = error.serverInfo?[.sqlState] { return state.hasPrefix("08") || state.hasPrefix("57P") }
        if let underlying = error.underlying, underlying is NIOSSLError || underlying is BoringSSLError { return false }
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

    /// A statement that the connection closed under before it completed, or that got no answer
    /// within the response timeout (and the connection was closed for it).
    struct ConnectionLost: Error {
        var reason = "the connection was lost"
    }

    /// The store's "closed" error.
    static let closed = AgentPoolError.make(.storage, "the PostgreSQL store is closed")
}
#endif
