import AgentPool
import AgentPoolPostgres
import AgentPoolSQLite
import Foundation

/// A backend under test: how to make a store of it, and whether a closed store can be reopened
/// with its data (persistent backends).
public struct StoreHarness: Sendable, CustomStringConvertible {
    /// The backend's name, shown in test names.
    public let name: String
    /// Whether data survives closing and reopening the store.
    public let isPersistent: Bool
    private let factory: @Sendable (_ directory: String, _ clock: ManualClock) throws -> any PoolStore
    /// Removes what the backend keeps outside the directory (a PostgreSQL schema) once a context ends.
    private let cleanup: (@Sendable (_ directory: String) -> Void)?

    public var description: String { name }

    init(name: String, isPersistent: Bool, cleanup: (@Sendable (String) -> Void)? = nil,
         factory: @escaping @Sendable (String, ManualClock) throws -> any PoolStore) {
        self.name = name
        self.isPersistent = isPersistent
        self.cleanup = cleanup
        self.factory = factory
    }

    /// The in-memory backend.
    public static let inMemory = StoreHarness(name: "InMemory", isPersistent: false) { _, clock in
        InMemoryStore(clock: clock)
    }

    /// The SQLite backend on a file in a fresh temporary directory.
    public static let sqlite = StoreHarness(name: "SQLite", isPersistent: true) { directory, clock in
        var options = SQLiteOptions()
        options.clock = clock
        options.logger.logLevel = .warning
        return try SQLiteStore(path: "\(directory)/pool.sqlite", options: options)
    }

    /// The PostgreSQL backend on a fresh schema of the server at `AGENTPOOL_TEST_POSTGRES_URL`,
    /// dropped when the context ends. Without that variable, opening fails (see
    /// ``PostgresTestServer``).
    public static let postgres = StoreHarness(name: "PostgreSQL", isPersistent: true, cleanup: { directory in
        PostgresTestServer.dropSchema(forDirectory: directory)
    }) { directory, clock in
        var options = PostgresOptions()
        options.clock = clock
        options.logger.logLevel = .warning
        return try PostgresStore(url: try PostgresTestServer.url(forDirectory: directory), options: options)
    }

    /// Every backend the conformance suite runs against: PostgreSQL when a test server is
    /// configured, or when CI requires one (then a missing server fails the tests).
    public static let all: [StoreHarness] = [.inMemory, .sqlite] + (PostgresTestServer.isEnabled ? [.postgres] : [])
    /// The backends whose data survives a reopen.
    public static let persistent: [StoreHarness] = all.filter(\.isPersistent)

    /// Opens a fresh, empty store in its own temporary directory.
    public func makeContext() throws -> StoreContext {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cleanup = self.cleanup
        return StoreContext(directory: directory, clock: clock, store: try factory(directory.path, clock), open: {
            try factory(directory.path, clock)
        }, onDeinit: cleanup.map { cleanup in { cleanup(directory.path) } })
    }
}

/// A store under test with its clock and directory; ``reopen()`` closes it and opens it again.
public final class StoreContext: @unchecked Sendable {
    /// The temporary directory holding the store's files (removed on deinit).
    public let directory: TemporaryDirectory
    /// The store's clock.
    public let clock: ManualClock
    /// The current store.
    public private(set) var store: any PoolStore
    private let open: () throws -> any PoolStore
    private let onDeinit: (() -> Void)?

    init(directory: TemporaryDirectory, clock: ManualClock, store: any PoolStore, open: @escaping () throws -> any PoolStore,
         onDeinit: (() -> Void)? = nil) {
        self.directory = directory
        self.clock = clock
        self.store = store
        self.open = open
        self.onDeinit = onDeinit
    }

    /// Closes the store when the test drops its context — each open SQLite store holds a thread
    /// and an inotify instance (128 per user by default), which a test process must not pile
    /// up — then removes what the backend keeps outside the directory (a PostgreSQL schema).
    deinit {
        let store = self.store
        let onDeinit = self.onDeinit
        Task {
            try? await store.close()
            onDeinit?()
        }
    }

    /// Closes the store and opens a new one on the same files.
    public func reopen() async throws {
        try await store.close()
        store = try open()
    }
}

/// A directory under the system's temporary directory, removed with its contents on deinit.
public final class TemporaryDirectory: Sendable {
    /// The absolute path.
    public let path: String

    /// Creates a new, empty directory.
    public init() throws {
        path = NSTemporaryDirectory() + "agentpool-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
