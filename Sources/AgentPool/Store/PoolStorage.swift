/// What a backend provides for one pool inside one of its transactions: the reads of
/// ``PoolReader`` answered from its projections as they are, and primitive writes that store
/// exactly what they are given.
///
/// This is the backend SPI, in the manner of swift-log's `LogHandler`: user code never sees it.
/// A backend owns the storage concerns — transactions, locking, notification, files — and
/// nothing else. Every rule (which projections an append changes, who may hold a lease, a second
/// `pool_opened`, a claim on an unknown message, compaction bounds) is the core's:
/// the core's one `PoolWriter` (see ``PoolStorage/runTransaction(now:_:)``) wraps a storage, performs every check, and calls a write only once the
/// checks passed. A backend's `PoolStore.read` and `PoolStore.write` run the body through
/// ``PoolStorage/runRead(now:_:)`` and ``PoolStorage/runTransaction(now:_:)``.
///
/// ## Requirements
///
/// - One storage value serves one pool in one transaction; it is never shared between threads.
/// - Reads see the transaction's own earlier writes, and nothing another writer commits after
///   the transaction began (a consistent view).
/// - ``PoolReader/info()`` reports the pool row: config, created flag, the log's last seq,
///   compaction point and latest checkpoint; nil when the pool does not exist. The transaction
///   reads it once and then tracks it itself.
/// - ``PoolReader/records(after:limit:)`` returns the stored records as they are; the
///   transaction checks the compaction point first.
/// - Writes apply what they are given without checking it, in the order they are called, and
///   throw only on storage failure (the store then rolls the whole transaction back).
/// - Sorting: every list sorted "by id" uses byte order of the UTF-8 id (SQL's binary collation).
package protocol PoolStorage: PoolReader {
    /// Creates the pool's row with `config` (its JSON: `json`), before its first record, and
    /// returns its incarnation: a number never given to another pool of this store.
    func createPool(_ config: PoolConfig, json: String) throws -> Int64

    /// Stores `record` in the log and applies `changes` (computed by the core's rules for this
    /// record) to the projections, in this order.
    func append(_ record: EncodedRecord, applying changes: [ProjectionChange]) throws

    /// Stores durable consumer `consumer.name`'s cursor, replacing the previous one.
    func saveConsumer(_ consumer: ConsumerCursor) throws

    /// Stores `lease`, replacing the member's previous lease.
    func saveLease(_ lease: MemberLease) throws

    /// Removes member `run`'s lease, if there is one.
    func removeLease(_ run: RunID) throws

    /// Stores `claim`, replacing the message's previous claim record; `target` is the spelled
    /// address target of the claimed message (``PoolReader/liveClaimCount(target:at:)``).
    func saveClaim(_ claim: MessageClaim, target: String) throws

    /// Adds (`queued`) or removes message `id`'s claim-queue entries under `keys`
    /// (``ClaimQueue``) at the position its message row holds now; an entry already there, or
    /// not there, is no error.
    func setQueued(_ id: MessageID, keys: [String], queued: Bool) throws

    /// Deletes the records with seq ≤ `through` and stores `through` as the compaction point.
    func discardRecords(through: Seq) throws

    /// Deletes the pool entirely: its row, log, projections, consumers, leases and claims.
    func dropPool() throws
}

/// A record as a backend stores it: the record and its payload's JSON (the `payload` column,
/// byte-identical on every backend).
package struct EncodedRecord: Sendable {
    /// The record.
    package let record: PoolRecord
    /// The payload's JSON, `{"<inner key>":…,"type":"<kind>"}`.
    package let payloadJSON: String
}
