import AgentPool
import GRDB
import GRDBSQLite

/// How a write reaches SQLite: alone on the caller's thread when that cannot block, otherwise
/// grouped with the other writes of this process that are waiting into one commit.
///
/// **Fast path.** GRDB's async write hops to the writer queue and back: two thread handoffs that
/// measured ~40 % of a small write's time on a 2-core machine (BENCHMARKS.md). When no other write
/// of this store is in flight in this process, the transaction runs synchronously on the calling
/// task's thread instead, with `BEGIN IMMEDIATE` tried under a zero busy timeout (so another
/// process holding the write lock makes it fail at once rather than block a cooperative thread).
/// With `synchronous=FULL` every commit waits for an fsync, so the fast path is off.
///
/// **Group commit.** Every other write joins a queue. One drain at a time runs on GRDB's writer
/// queue: it begins an immediate transaction (waiting up to the busy timeout, off the cooperative
/// pool), then takes every write queued by then and runs each in its own savepoint, so a write
/// that throws rolls back only itself, and commits once. Each write's caller resumes only after
/// that COMMIT returned: nothing is acknowledged before it is durable, and a failed commit fails
/// every write of the batch. Writes that arrive while a commit is in progress share the next one,
/// so concurrent writers of one process write each B-tree page once per batch instead of once per
/// write. Each write is still atomic and sees the writes before it; seqs stay gapless.
final class WritePath: Sendable {
    /// A write waiting for the drain: runs its body (inside the batch's transaction) and is
    /// resumed with its result once the batch committed or failed.
    private struct Queued: Sendable {
        let body: @Sendable (Database) throws -> Void
        let resume: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        /// Writes running or queued in this process.
        var inFlight = 0
        var queue: [Queued] = []
        var draining = false
        /// Batches committed and writes they held (for tests and the benchmark).
        var batches = 0
        var batchedWrites = 0
        var largestBatch = 0
    }

    private let state = Locked(State())
    private let busyTimeoutMillis: Int32
    private let allowsFastPath: Bool
    private let metrics: AgentPoolMetrics

    init(busyTimeoutMillis: Int32, allowsFastPath: Bool, metrics: AgentPoolMetrics) {
        self.busyTimeoutMillis = busyTimeoutMillis
        self.allowsFastPath = allowsFastPath
        self.metrics = metrics
    }

    /// Writes queued for the drain and not yet taken into a batch.
    var queuedCount: Int { state.withLock { $0.queue.count } }

    /// How many batches the drain committed, how many writes they held, and the largest.
    var batchFigures: (batches: Int, writes: Int, largest: Int) {
        state.withLock { ($0.batches, $0.batchedWrites, $0.largestBatch) }
    }

    /// Runs `body` inside a write transaction on `database` and returns its result once committed.
    /// A throwing `body` leaves nothing written.
    func run<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T, on database: DatabasePool) async throws -> T {
        let alone = state.withLock { state -> Bool in
            state.inFlight += 1
            return state.inFlight == 1
        }
        defer { state.withLock { $0.inFlight -= 1 } }
        if allowsFastPath, alone {
            do {
                return try runWithoutWaiting(body, on: database)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // Another process holds the write lock: wait for it in the queue. The failed
                // attempt was rolled back, so running the body again is safe.
                metrics.busyWait()
            }
        }
        return try await enqueue(body, on: database)
    }

    /// The synchronous attempt: fails with SQLITE_BUSY instead of waiting for a lock.
    private func runWithoutWaiting<T>(_ body: (Database) throws -> T, on database: DatabasePool) throws -> T {
        try database.writeWithoutTransaction { db in
            sqlite3_busy_timeout(db.sqliteConnection, 0)
            defer { sqlite3_busy_timeout(db.sqliteConnection, busyTimeoutMillis) }
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    private func enqueue<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T, on database: DatabasePool) async throws -> T {
        let result = Locked<T?>(nil)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let queued = Queued(
                body: { db in
                    let value = try body(db)
                    result.withLock { $0 = value }
                },
                resume: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                })
            let startsDrain = state.withLock { state -> Bool in
                state.queue.append(queued)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startsDrain {
                database.asyncWriteWithoutTransaction { [self] db in drain(db) }
            }
        }
        return result.withLock { $0! }
    }

    /// Commits batches until the queue is empty, on GRDB's writer queue.
    private func drain(_ db: Database) {
        while true {
            // Stop without touching the lock when nothing waits: a BEGIN here could wait for
            // another process while a new fast-path write waits for this queue.
            let hasWork = state.withLock { state -> Bool in
                if state.queue.isEmpty { state.draining = false }
                return state.draining
            }
            guard hasWork else { return }
            // A batch never leaves its transaction open; should SQLite have, end it first.
            if db.isInsideTransaction { try? db.rollback() }
            // Begin first, then take the batch (only the drain takes, so it is not empty): every
            // write queued while the lock was awaited joins it.
            let began = Result { try db.beginTransaction(.immediate) }
            let batch = state.withLock { state -> [Queued] in
                defer { state.queue = [] }
                return state.queue
            }
            switch began {
            case .success: commit(batch, db)
            case .failure(let error): batch.forEach { $0.resume(error) }
            }
        }
    }

    /// Runs each write of `batch` in its own savepoint (a lone write needs none) and commits.
    ///
    /// An error that makes SQLite roll the whole transaction back (disk full, I/O error) fails
    /// every write of the batch with that error, the ones that ran before it included, and the
    /// later ones do not run: outside the transaction a savepoint would commit on its own.
    private func commit(_ batch: [Queued], _ db: Database) {
        var failures = [(any Error)?](repeating: nil, count: batch.count)
        var abort: (any Error)?
        for (index, queued) in batch.enumerated() where abort == nil {
            do {
                if batch.count == 1 {
                    try queued.body(db)
                } else {
                    try db.inSavepoint {
                        try queued.body(db)
                        return .commit
                    }
                }
            } catch {
                failures[index] = error
                if !db.isInsideTransaction { abort = error }
            }
        }
        if let abort {
            for index in failures.indices where failures[index] == nil { failures[index] = abort }
        } else {
            do {
                if batch.count == 1, failures[0] != nil {
                    try db.rollback()
                } else {
                    try db.commit()
                }
            } catch {
                try? db.rollback()
                for index in failures.indices where failures[index] == nil { failures[index] = error }
            }
        }
        state.withLock { state in
            state.batches += 1
            state.batchedWrites += batch.count
            state.largestBatch = max(state.largestBatch, batch.count)
        }
        for (queued, failure) in zip(batch, failures) { queued.resume(failure) }
    }
}
