#if Postgres
import AgentPool
import Foundation
import Logging
import PostgresNIO

/// A value bound to a `$n` parameter of a statement.
typealias PostgresValue = (any PostgresDynamicTypeEncodable)?

/// One PostgreSQL connection used synchronously: each call sends a statement and blocks the
/// calling thread until its result arrives.
///
/// Why blocking: ``PoolStore/write(_:_:)`` runs a synchronous body that reads and appends many
/// times, so its statements must complete synchronously. Sessions are only ever used on the
/// store's own worker threads (never on an event loop nor on the cooperative pool), where
/// blocking on a future is legal. A session runs one transaction at a time.
final class PostgresSession {
    let connection: PostgresConnection
    let location: PostgresLocation
    private let logger: Logger
    /// How long ``wait(_:)`` waits for one answer before it gives the connection up as lost.
    private let responseTimeout: Duration
    /// The first error of the current transaction: PostgreSQL refuses every later statement of
    /// an aborted transaction, and COMMIT of one silently rolls back, so commit must know.
    private(set) var failure: (any Error)?
    private var inTransaction = false
    /// Whether a statement of the current transaction failed because the connection was lost.
    private var connectionLost = false
    /// Whether the last transaction failed because the connection was lost before its COMMIT was
    /// sent: nothing of it was committed, so it may run again on a new connection.
    private(set) var lostBeforeCommit = false

    /// The semaphore of the wait in progress, signalled when the connection closes: postgres-nio
    /// never completes a statement written after its channel closed, so a wait must also end then.
    private let closeWake = Locked<DispatchSemaphore?>(nil)

    private init(connection: PostgresConnection, location: PostgresLocation, logger: Logger, responseTimeout: Duration) {
        self.connection = connection
        self.location = location
        self.logger = logger
        self.responseTimeout = responseTimeout
        let closeWake = self.closeWake
        connection.closeFuture.whenComplete { (_: Result<Void, any Error>) in
            let waiter: DispatchSemaphore? = closeWake.withLock { $0 }
            waiter?.signal()
        }
    }

    /// Blocks until `future` completes, or until the connection closes without completing it
    /// (then ``PostgresErrors/ConnectionLost``), or until the response timeout passes without an
    /// answer: then the connection is closed (a partitioned network or a frozen server would
    /// otherwise keep the caller waiting until TCP gives up, many minutes later) and the wait
    /// ends as a lost connection.
    private func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Locked<Result<PostgresQueryResult, any Error>?>(nil)
        future.whenComplete { outcome in
            result.withLock { $0 = outcome }
            semaphore.signal()
        }
        closeWake.withLock { $0 = semaphore }
        defer { closeWake.withLock { $0 = nil } }
        // A close before the line above signalled nobody: check for it now.
        if !connection.isClosed, semaphore.wait(timeout: .now() + .milliseconds(Int(responseTimeout.wholeMilliseconds))) == .timedOut,
           result.withLock({ $0 }) == nil {
            logger.warning("agentpool: no answer from PostgreSQL within the response timeout; closing the connection", metadata: [
                "location": "\(location.redacted)", "response_timeout_ms": "\(responseTimeout.wholeMilliseconds)",
            ])
            connection.close().whenComplete { (_: Result<Void, any Error>) in }
            throw PostgresErrors.ConnectionLost(reason: "no answer within the response timeout of \(responseTimeout.wholeMilliseconds) ms")
        }
        // The statement's own outcome wins when there is one (the event loop completes it before
        // it reports the close).
        if let outcome = result.withLock({ $0 }) { return try outcome.get() }
        throw PostgresErrors.ConnectionLost()
    }

    /// The connection settings of `location`: the store's schema first on the search path, the
    /// lock timeout, and an application name that tells the store's connections apart.
    static func configuration(_ location: PostgresLocation, options: PostgresOptions, role: String) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if location.tls == .disable {
            tls = .disable
        } else {
            var client = TLSConfiguration.makeClientConfiguration()
            switch location.tls {
            case .require: client.certificateVerification = .none
            case .verifyCA: client.certificateVerification = .noHostnameVerification
            case .verifyFull, .disable: client.certificateVerification = .fullVerification
            }
            if let root = location.rootCertificatePath { client.trustRoots = .file(root) }
            do {
                tls = .require(try NIOSSLContext(configuration: client))
            } catch {
                throw PostgresErrors.map(error, location: location)
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds((location.connectTimeout ?? options.connectTimeout).wholeMilliseconds)
        // why: startup parameters are applied by the server before the first statement, so a new
        // connection costs no extra round trip for them.
        configuration.options.additionalStartupParameters = [
            ("search_path", "\"\(location.schema)\""),
            ("lock_timeout", "\(options.lockTimeout.wholeMilliseconds)"),
            // why always sent: 0 (PostgreSQL's "none") when unset, so that a role's or database's
            // own statement_timeout does not silently apply to the store's connections.
            ("statement_timeout", "\(options.statementTimeout?.wholeMilliseconds ?? 0)"),
            ("application_name", String("agentpool \(role) \(location.schema)".prefix(63))),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }

    /// Connects, blocking the calling thread (which must not be an event loop thread).
    ///
    /// - Throws: `busy` when the server cannot be reached (refused, timed out: it may be
    ///   restarting); `storage` when it refuses the login.
    static func connect(_ location: PostgresLocation, options: PostgresOptions, role: String = "store") throws -> PostgresSession {
        let configuration = try configuration(location, options: options, role: role)
        var logger = options.logger
        logger.logLevel = max(logger.logLevel, .warning)  // postgres-nio's own logs are chatty at info
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: nextConnectionID.withLock { $0 += 1; return $0 }, logger: logger).wait()
            return PostgresSession(connection: connection, location: location, logger: logger,
                                   responseTimeout: location.responseTimeout ?? options.responseTimeout)
        } catch {
            throw PostgresErrors.map(error, location: location)
        }
    }

    private static let nextConnectionID = Locked(0)

    /// Whether the connection is gone (the server closed it, or ``close()`` was called).
    var isClosed: Bool { connection.isClosed }

    /// Statements sent but not waited for (see ``execute(_:_:)``), oldest first.
    private var pending: [EventLoopFuture<PostgresQueryResult>] = []

    private func send(_ sql: String, _ values: [PostgresValue]) -> EventLoopFuture<PostgresQueryResult> {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { bindings.append(value) } else { bindings.appendNull() }
        }
        return connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// Runs `sql` with `values` bound to `$1…` and returns its rows.
    ///
    /// - Throws: the statement's error (or that of an earlier statement sent by ``execute(_:_:)``,
    ///   which aborted the transaction) mapped to ``AgentPoolError``: `busy` for lock timeouts,
    ///   deadlocks and serialization failures.
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue] = []) throws -> [PostgresRow] {
        if let failure { throw failure }
        let future = send(sql, values)
        do {
            let rows = try wait(future).rows
            try settle()
            return rows
        } catch {
            try settle()  // an earlier pipelined statement's error is the cause: report it first
            throw fail(error)
        }
    }

    /// Runs `sql`, whose result the caller does not need. Inside a transaction it is sent without
    /// waiting (pipelined behind the previous statements, in order), which saves a round trip to
    /// this thread per statement; its error surfaces at the next ``query(_:_:)`` or at COMMIT.
    func execute(_ sql: String, _ values: [PostgresValue] = []) throws {
        if let failure { throw failure }
        guard inTransaction else {
            try query(sql, values)
            return
        }
        pending.append(send(sql, values))
    }

    /// Waits for every pipelined statement; throws the first one's error.
    private func settle() throws {
        let futures = pending
        pending = []
        for future in futures {
            do {
                _ = try wait(future)
            } catch {
                throw fail(error)
            }
        }
    }

    /// Maps a postgres-nio error, and remembers it as the transaction's failure.
    private func fail(_ error: any Error) -> any Error {
        if PostgresErrors.isConnectionLoss(error) { connectionLost = true }
        let mapped = PostgresErrors.map(error, location: location)
        if inTransaction, failure == nil { failure = mapped }
        return failure ?? mapped
    }

    /// Runs `body` in a transaction opened by `begin`: COMMIT when it returns and no statement
    /// failed, ROLLBACK otherwise (and the error is rethrown unchanged).
    ///
    /// With `readOnly`, COMMIT is sent without waiting for it: a read-only transaction has
    /// nothing to lose, and the session's next statement queues behind it anyway.
    func transaction<T>(_ begin: String, readOnly: Bool = false, _ body: () throws -> T) throws -> T {
        failure = nil
        pending = []
        connectionLost = false
        lostBeforeCommit = false
        inTransaction = true
        pending.append(send(begin, []))  // its error, if any, surfaces at the first wait
        defer { inTransaction = false; failure = nil; pending = [] }
        var commitSent = false
        let result: T
        do {
            result = try body()
            if let failure { throw failure }  // the body swallowed a failed statement
            if connectionLost { throw PostgresErrors.unavailable(location, "the connection was lost") }
            commitSent = true
            let commit = send("COMMIT", [])
            if readOnly {
                pending = []
            } else {
                do {
                    _ = try wait(commit)
                } catch {
                    try settle()
                    throw fail(error)
                }
                // COMMIT of a transaction that a pipelined statement aborted reports ROLLBACK,
                // not an error: its error is the outcome.
                try settle()
            }
        } catch {
            pending = []
            inTransaction = false
            if connectionLost {
                // A read-only transaction never has anything to lose; a write whose COMMIT was
                // sent may have committed, so it must not run again.
                lostBeforeCommit = !commitSent || readOnly
                close()
                if commitSent && !readOnly { throw PostgresErrors.outcomeUnknown(location) }
            } else {
                _ = send("ROLLBACK", [])  // queued before the session's next statement; nothing to wait for
            }
            throw error
        }
        return result
    }

    /// Closes the connection; waits until it is closed.
    func close() {
        try? connection.close().wait()
    }
}
#endif
