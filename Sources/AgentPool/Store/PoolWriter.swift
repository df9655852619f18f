/// A write transaction on one pool: reads see the transaction's own appends, and everything
/// commits together when the body returns, or nothing does when it throws.
///
/// Backends serialize writers per pool (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the pool row
/// `FOR UPDATE`), so a read-check-append sequence in one body is atomic across threads and
/// processes. The core implements this protocol once, over a backend's ``PoolStorage`` (see
/// ``PoolStorage/runTransaction(now:_:)``): a backend never implements it.
public protocol PoolWriter: PoolReader {
    /// The store clock's time when the transaction began (UTC ms); stamped on every append.
    var now: Millis { get }

    /// Appends a record with the next seq, stamped `recordedAt`, and updates the projections in
    /// the same transaction.
    ///
    /// Low level: it checks only that the log stays well formed (`pool_opened` first and once,
    /// nothing before it); the projections follow the core's rules. The coordination rules live
    /// in the operations built on it (``PoolHandle`` and the store operations).
    func append(_ payload: RecordPayload, recordedAt: Millis) throws -> PoolRecord

    /// Stores durable consumer `name`'s cursor (a side table: the log does not grow).
    func saveConsumer(_ name: String, cursor: Seq) throws

    /// Stores a member's lease (a side table: heartbeats do not grow the log). Appending
    /// `member_left` for the run removes it.
    ///
    /// - Throws: `notMember` when the run is not a member; `poolNotFound`.
    func saveLease(_ lease: MemberLease) throws

    /// Removes member `run`'s lease, if any: the member no longer expires.
    func removeLease(_ run: RunID) throws

    /// Stores a message's claim record (a side table: claims do not grow the log).
    ///
    /// - Throws: `notFound` when the pool holds no such message; `poolNotFound`.
    func saveClaim(_ claim: MessageClaim) throws

    /// Deletes the records with seq ≤ `through` and remembers it as the pool's compaction point
    /// (reads from below it then throw `cursorCompacted`). Projections, consumers, leases and
    /// claims are untouched. The caller appends the `checkpoint` record first.
    func discardRecords(through: Seq) throws

    /// Deletes the pool entirely: its log, projections, consumers, leases and claims.
    func dropPool() throws
}

extension PoolWriter {
    /// Appends a record stamped with the transaction's time (see ``append(_:recordedAt:)``), or
    /// with the pool's last `recorded_at` when that is later: within a pool `recorded_at` never
    /// goes backwards, whatever the clock of the process that writes.
    public func append(_ payload: RecordPayload) throws -> PoolRecord {
        try append(payload, recordedAt: max(now, try info()?.lastRecordedAt ?? now))
    }

    /// Appends `record` exactly as it was — same seq, same `recorded_at` — for imports and copies.
    ///
    /// - Throws: `invalidInput` when the record belongs to another pool or its seq is not the
    ///   pool's next one; `corruptRecord`-style refusals of a malformed log come from `append`.
    @discardableResult
    package func restore(_ record: PoolRecord) throws -> PoolRecord {
        guard record.poolID == poolID else {
            throw AgentPoolError.invalidInput(field: "pool_id", "record of pool '\(record.poolID)' restored into pool '\(poolID)'")
        }
        let expected = (try info()?.cursor ?? 0) + 1
        guard record.seq == expected else {
            throw AgentPoolError.invalidInput(field: "seq", "pool '\(poolID)' expects seq \(expected) next, not \(record.seq)")
        }
        return try append(record.payload, recordedAt: record.recordedAt)
    }

    /// Advances durable consumer `name` to `cursor`; an older cursor is a no-op (acks only move
    /// forward). Returns the consumer's cursor after the call.
    ///
    /// - Throws: `invalidInput` for a malformed name or a cursor past the pool's; `poolNotFound`.
    @discardableResult
    package func ack(consumer name: String, cursor: Seq) throws -> Seq {
        try IDValidation.check(name, field: "consumer")
        let info = try requireInfo()
        guard cursor >= 0, cursor <= info.cursor else {
            throw AgentPoolError.invalidInput(field: "cursor", "cursor \(cursor) is outside pool '\(poolID)' (0…\(info.cursor))")
        }
        let current = try consumer(name)?.cursor ?? 0
        guard cursor > current else { return current }
        try saveConsumer(name, cursor: cursor)
        return cursor
    }
}
