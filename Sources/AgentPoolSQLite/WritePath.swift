import AgentPool
import GRDB
import GRDBSQLite

/// How a write transaction reaches SQLite: on the caller's thread when that cannot block, or
/// through GRDB's asynchronous writer otherwise.
///
/// GRDB's async write hops to the writer queue and back: two thread handoffs that measured ~40 %
/// of a small write's time on a 2-core machine (BENCHMARKS.md). The fast path runs the
/// transaction synchronously on the calling task's thread instead, but only when nothing can
/// make it wait: no other write of this store is in flight in this process (so GRDB's writer
/// queue is free), and `BEGIN IMMEDIATE` is tried with a zero busy timeout (so another process
/// holding the write lock makes it fail at once rather than block a cooperative thread). In
/// either case it falls back to the async path, which waits up to the busy timeout without
/// blocking a thread. With `synchronous=FULL` every commit waits for an fsync, so the fast path
/// is off.
///
/// One window remains: a second write of the same store that starts between the fast path's
/// claim and its entry into GRDB's writer queue can be queued first; if that write then waits
/// for another process's lock, the fast path's thread waits behind it (up to the busy timeout).
/// It needs two writes of one store in the same instant and a lock held elsewhere.
final class WritePath: Sendable {
    private let inFlight = Locked(0)
    private let busyTimeoutMillis: Int32
    private let allowsFastPath: Bool
    private let metrics: AgentPoolMetrics

    init(busyTimeoutMillis: Int32, allowsFastPath: Bool, metrics: AgentPoolMetrics) {
        self.busyTimeoutMillis = busyTimeoutMillis
        self.allowsFastPath = allowsFastPath
        self.metrics = metrics
    }

    /// Runs `transaction` (which opens and commits its own transaction) on `database`.
    func run<T: Sendable>(_ transaction: @escaping @Sendable (Database) throws -> T, on database: DatabasePool) async throws -> T {
        let alone = inFlight.withLock { count -> Bool in
            count += 1
            return count == 1
        }
        defer { inFlight.withLock { $0 -= 1 } }
        if allowsFastPath, alone {
            do {
                return try runWithoutWaiting(transaction, on: database)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // Another process holds the write lock: wait for it on the async path. The
                // failed attempt was rolled back, so running the body again is safe.
                metrics.busyWait()
            }
        }
        return try await database.writeWithoutTransaction(transaction)
    }

    /// The synchronous attempt: fails with SQLITE_BUSY instead of waiting for a lock.
    private func runWithoutWaiting<T>(_ transaction: (Database) throws -> T, on database: DatabasePool) throws -> T {
        try database.writeWithoutTransaction { db in
            sqlite3_busy_timeout(db.sqliteConnection, 0)
            defer { sqlite3_busy_timeout(db.sqliteConnection, busyTimeoutMillis) }
            return try transaction(db)
        }
    }
}
