/// A write transaction on one pool: reads see the transaction's own appends, and everything
/// commits together when the body returns, or nothing does when it throws.
///
/// Backends serialize writers per database (SQLite: `BEGIN IMMEDIATE`), so a read-check-append
/// sequence in one body is atomic across threads and processes.
public protocol PoolWriter: PoolReader {
    /// The store clock's time when the transaction began (UTC ms); stamped on every append.
    var now: Millis { get }

    /// Appends a record with the next seq and updates the projections in the same transaction.
    ///
    /// Low level: it checks only that the log stays well formed (`pool_opened` first and once).
    /// The rules of SPEC §6–§8 live in the operations built on it (``PoolWriter/join(_:)`` …).
    func append(_ payload: RecordPayload) throws -> PoolRecord
}
