import AgentPool
import Foundation

/// What a conformance check hands a backend to open a store on.
public struct StoreSetup: Sendable {
    /// An empty directory that is the store's alone, removed when the check is done. A
    /// persistent backend keeps its data here, or derives from it where its data lives (a
    /// database schema), so that opening again with the same setup finds the data.
    public let directory: String
    /// The clock the store must read time from: the checks advance it by hand.
    public let clock: ManualClock
    /// Where the store must report its metrics; nil: swift-metrics' global factory.
    public let metrics: AgentPoolMetrics?
}

/// How the conformance kit makes stores of one backend: the factory the backend author writes.
///
/// Every check opens fresh stores through it; `open` must return an empty store for a new
/// ``StoreSetup`` and, for a persistent backend, the same data again for a setup it was
/// called with before (after the previous store was closed).
public struct StoreFactory: Sendable, CustomStringConvertible {
    /// The backend's name, shown in failures.
    public let name: String
    /// Whether data survives closing the store and opening it again with the same setup.
    public let isPersistent: Bool
    private let open: @Sendable (StoreSetup) async throws -> any PoolStore
    private let tearDown: (@Sendable (StoreSetup) async -> Void)?

    /// The backend's name.
    public var description: String { name }

    /// A factory named `name` whose stores `open` opens.
    ///
    /// - Parameters:
    ///   - isPersistent: whether `open` finds the data of an earlier store on the same setup.
    ///   - tearDown: removes what the backend keeps outside ``StoreSetup/directory`` (a
    ///     schema on a server) once a check is done with a setup; its store is closed by then.
    public init(name: String, isPersistent: Bool,
                open: @escaping @Sendable (StoreSetup) async throws -> any PoolStore,
                tearDown: (@Sendable (StoreSetup) async -> Void)? = nil) {
        self.name = name
        self.isPersistent = isPersistent
        self.open = open
        self.tearDown = tearDown
    }

    /// The in-memory backend of `AgentPool`: not persistent.
    public static let inMemory = StoreFactory(name: "InMemory", isPersistent: false) { setup in
        InMemoryStore(clock: setup.clock, metrics: setup.metrics ?? AgentPoolMetrics())
    }

    /// Opens a fresh, empty store on a new setup: its own temporary directory and manual clock.
    public func makeContext(metrics: AgentPoolMetrics? = nil) async throws -> StoreContext {
        let directory = try TemporaryDirectory()
        let setup = StoreSetup(directory: directory.path, clock: ManualClock(), metrics: metrics)
        let open = self.open
        return StoreContext(directory: directory, setup: setup, store: try await open(setup),
                            open: { try await open(setup) }, tearDown: tearDown)
    }
}

/// A store under test with its clock and directory; ``reopen()`` closes it and opens it again.
public final class StoreContext: @unchecked Sendable {
    /// The temporary directory holding the store's files (removed on deinit).
    public let directory: TemporaryDirectory
    /// The store's clock.
    public var clock: ManualClock { setup.clock }
    /// The current store.
    public private(set) var store: any PoolStore
    private let setup: StoreSetup
    private let open: @Sendable () async throws -> any PoolStore
    private let tearDown: (@Sendable (StoreSetup) async -> Void)?

    init(directory: TemporaryDirectory, setup: StoreSetup, store: any PoolStore, open: @escaping @Sendable () async throws -> any PoolStore,
         tearDown: (@Sendable (StoreSetup) async -> Void)?) {
        self.directory = directory
        self.setup = setup
        self.store = store
        self.open = open
        self.tearDown = tearDown
    }

    /// Closes the store when the test drops its context — each open SQLite store holds a thread
    /// and an inotify instance (128 per user by default), which a test process must not pile
    /// up — then removes what the backend keeps outside the directory (a PostgreSQL schema).
    deinit {
        let (store, setup, tearDown) = (self.store, self.setup, self.tearDown)
        Task {
            try? await store.close()
            await tearDown?(setup)
        }
    }

    /// Closes the store and opens a new one on the same setup: a persistent backend's data is
    /// found again.
    public func reopen() async throws {
        try await store.close()
        store = try await open()
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
