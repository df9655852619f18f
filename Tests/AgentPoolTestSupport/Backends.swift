import AgentPool
import AgentPoolConformance
#if Postgres
import AgentPoolPostgres
#endif
import AgentPoolSQLite
import Foundation

// The backends of this package, each written once: the conformance kit's factories (in-process
// stores on a manual clock) and the shared databases the multi-process tests open by location.

extension StoreFactory {
    /// The SQLite backend on `pool.sqlite` in the setup's directory.
    public static let sqlite = StoreFactory(name: "SQLite", isPersistent: true) { setup in
        var options = SQLiteOptions()
        options.clock = setup.clock
        options.metrics = setup.metrics
        options.logger.logLevel = .warning
        return try SQLiteStore(path: SharedDatabase.sqlitePath(inDirectory: setup.directory), options: options)
    }

    #if Postgres
    /// The PostgreSQL backend on a schema of the server at `AGENTPOOL_TEST_POSTGRES_URL` named
    /// after the setup's directory (so that a reopen finds it), dropped when the check is done.
    /// Without that variable, opening fails (see ``PostgresTestServer``).
    public static let postgres = StoreFactory(name: "PostgreSQL", isPersistent: true, open: { setup in
        var options = PostgresOptions()
        options.clock = setup.clock
        options.metrics = setup.metrics
        options.logger.logLevel = .warning
        // The async open: no cooperative thread blocks while the store connects and migrates.
        return try await PostgresStore.open(url: try PostgresTestServer.url(forDirectory: setup.directory), options: options)
    }, tearDown: { setup in
        guard let url = try? PostgresTestServer.url(forDirectory: setup.directory) else { return }
        try? await PostgresTestServer.dropSchema(url: url)
    })
    #endif
}

/// A database that several processes open by one location string, removed when released: a
/// SQLite file in a fresh temporary directory, or a fresh schema on the PostgreSQL test server.
public final class SharedDatabase: Sendable, CustomStringConvertible {
    /// The backend's name.
    public let backend: String
    /// What the helper processes are given to open it: a file path or a postgres:// URL.
    public let location: String
    private let directory: TemporaryDirectory
    private let opener: @Sendable (String) throws -> any PoolStore
    private let cleanup: (@Sendable (String) -> Void)?

    /// `<backend> at <location>`.
    public var description: String { "\(backend) at \(location)" }

    private init(backend: String, location: (TemporaryDirectory) throws -> String,
                 open: @escaping @Sendable (String) throws -> any PoolStore, cleanup: (@Sendable (String) -> Void)? = nil) throws {
        self.backend = backend
        directory = try TemporaryDirectory()
        self.location = try location(directory)
        opener = open
        self.cleanup = cleanup
    }

    deinit { cleanup?(location) }

    /// Where the SQLite backend keeps its file in `directory` (the factory's path too).
    static func sqlitePath(inDirectory directory: String) -> String { "\(directory)/pool.sqlite" }

    /// A SQLite file (not yet created) in a fresh temporary directory.
    public static func sqlite() throws -> SharedDatabase {
        try SharedDatabase(backend: "SQLite", location: { sqlitePath(inDirectory: $0.path) }) { path in
            var options = SQLiteOptions()
            options.logger.logLevel = .warning
            return try SQLiteStore(path: path, options: options)
        }
    }

    #if Postgres
    /// A fresh (not yet created) schema on the PostgreSQL test server, dropped on release.
    public static func postgres() throws -> SharedDatabase {
        try SharedDatabase(backend: "PostgreSQL", location: { _ in try PostgresTestServer.freshURL() }, open: { url in
            var options = PostgresOptions()
            options.logger.logLevel = .warning
            return try PostgresStore(url: url, options: options)
        }, cleanup: { url in
            guard let location = try? PostgresLocation(url: url) else { return }
            try? PostgresAdmin.dropSchema(location)
        })
    }
    #endif

    /// Opens a store on the database in this process (real clock, quiet logger), creating it
    /// when no process has yet.
    public func open() throws -> any PoolStore { try opener(location) }
}
