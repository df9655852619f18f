import AgentPool
import Logging
import PostgresNIO

/// A value bound to a `$n` parameter of a statement.
typealias SQLValue = (any PostgresDynamicTypeEncodable)?

/// One PostgreSQL connection used synchronously: each call sends a statement and blocks the
/// calling thread until its result arrives.
///
/// Why blocking: ``PoolStore/write(_:_:)`` runs a synchronous body that reads and appends many
/// times, so its statements must complete synchronously. Sessions are only ever used on the
/// store's own worker threads (never on an event loop nor on the cooperative pool), where
/// `EventLoopFuture.wait()` is legal. A session runs one transaction at a time.
final class PostgresSession {
    let connection: PostgresConnection
    let location: PostgresLocation
    private let logger: Logger
    /// The first error of the current transaction: PostgreSQL refuses every later statement of
    /// an aborted transaction, and COMMIT of one silently rolls back, so commit must know.
    private(set) var failure: (any Error)?
    private var inTransaction = false

    private init(connection: PostgresConnection, location: PostgresLocation, logger: Logger) {
        self.connection = connection
        self.location = location
        self.logger = logger
    }

    /// The connection settings of `location`: the store's schema first on the search path, the
    /// lock timeout, and an application name that tells the store's connections apart.
    static func configuration(_ location: PostgresLocation, options: PostgresOptions, role: String) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable:
            tls = .disable
        case .require:
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw PostgresErrors.map(error, location: location)
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(options.connectTimeout.wholeMilliseconds)
        // why: startup parameters are applied by the server before the first statement, so a new
        // connection costs no extra round trip for them.
        configuration.options.additionalStartupParameters = [
            ("search_path", "\"\(location.schema)\""),
            ("lock_timeout", "\(options.lockTimeout.wholeMilliseconds)"),
            ("application_name", String("agentpool \(role) \(location.schema)".prefix(63))),
            ("TimeZone", "UTC"),
        ]
        return configuration
    }

    /// Connects, blocking the calling thread (which must not be an event loop thread).
    ///
    /// - Throws: `storage` when the server cannot be reached or refuses the login.
    static func connect(_ location: PostgresLocation, options: PostgresOptions, role: String = "store") throws -> PostgresSession {
        let configuration = try configuration(location, options: options, role: role)
        var logger = options.logger
        logger.logLevel = max(logger.logLevel, .warning)  // postgres-nio's own logs are chatty at info
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                id: nextConnectionID.withLock { $0 += 1; return $0 }, logger: logger).wait()
            return PostgresSession(connection: connection, location: location, logger: logger)
        } catch {
            throw PostgresErrors.map(error, location: location)
        }
    }

    private static let nextConnectionID = Locked(0)

    /// Whether the connection is gone (the server closed it, or ``close()`` was called).
    var isClosed: Bool { connection.isClosed }

    /// Runs `sql` with `values` bound to `$1…` and returns its rows.
    ///
    /// - Throws: the statement's error mapped to ``AgentPoolError`` (`busy` for lock timeouts,
    ///   deadlocks and serialization failures).
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws -> [PostgresRow] {
        if let failure { throw failure }
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { bindings.append(value) } else { bindings.appendNull() }
        }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait().rows
        } catch {
            let mapped = PostgresErrors.map(error, location: location)
            if inTransaction { failure = mapped }
            throw mapped
        }
    }

    /// Runs `body` in a transaction opened by `begin`: COMMIT when it returns and no statement
    /// failed, ROLLBACK otherwise (and the error is rethrown unchanged).
    func transaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
        failure = nil
        try query(begin)
        inTransaction = true
        defer { inTransaction = false; failure = nil }
        let result: T
        do {
            result = try body()
            if let failure { throw failure }  // the body swallowed a failed statement
            inTransaction = false
            try query("COMMIT")
        } catch {
            inTransaction = false
            failure = nil
            _ = try? query("ROLLBACK")
            throw error
        }
        return result
    }

    /// Closes the connection; waits until it is closed.
    func close() {
        try? connection.close().wait()
    }
}
