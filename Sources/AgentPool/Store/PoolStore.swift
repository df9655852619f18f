/// A backend holding pools: the one protocol every backend (in-memory, SQLite, PostgreSQL)
/// implements, and the only one the layers above use. Users open one and coordinate through
/// ``PoolHandle``.
///
/// Errors thrown by a store are ``AgentPoolError``s; a failed call writes nothing.
///
/// ## Implementing a backend
///
/// A backend owns storage concerns only; the rules are the core's. It implements:
///
/// - ``read(_:_:)``: open a read transaction that sees one moment, make the backend's
///   ``PoolStorage`` for the pool, and return `storage.runRead(now:body)`.
/// - ``write(_:_:)``: open a write transaction that excludes every other writer of the pool (in
///   this process and in others), read the clock once the lock is held, return
///   `storage.runTransaction(now:body)`'s value, and commit; roll back when it throws. After the
///   commit, report ``TransactionOutcome/appendedCount`` to ``AgentPoolMetrics`` and, when
///   ``TransactionOutcome/wakesWaiters``, bump ``changes`` (and tell other processes).
/// - ``changes``: bumped whenever any process may have committed to the store.
/// - ``pools()`` and ``close()``.
/// - Map its own errors to ``AgentPoolError`` (`busy` for a lock wait that timed out, `storage`
///   otherwise) and validate the pool id before touching storage.
///
/// The conformance kit (the `AgentPoolConformance` product) checks all of it; docs/BACKENDS.md
/// lists the files a new backend touches.
public protocol PoolStore: Sendable {
    /// Runs `body` on a consistent read-only view of `pool`.
    ///
    /// - Throws: `invalidInput` for a malformed pool id; whatever `body` throws.
    func read<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolReader) throws -> T) async throws -> T

    /// Runs `body` as ONE atomic write transaction on `pool`: its reads and appends commit together,
    /// or, if it throws, nothing is written.
    ///
    /// - Throws: `invalidInput` for a malformed pool id; `busy` when the database stayed locked past
    ///   the busy timeout (retryable); whatever `body` throws.
    func write<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolWriter) throws -> T) async throws -> T

    /// The store's time source: stamps records, and is what deadlines are compared with.
    var clock: any AgentPoolClock { get }

    /// Bumped whenever any process may have written to the store; shared by all of the store's
    /// watchers and waiters (one notifier per opened store).
    var changes: ChangeSignal { get }

    /// Where the store and the coordinator report their metrics.
    var metrics: AgentPoolMetrics { get }

    /// Every pool with its cursor and counts, sorted by pool id.
    func pools() async throws -> [PoolSummary]

    /// Releases the store's resources; later calls fail.
    func close() async throws
}
