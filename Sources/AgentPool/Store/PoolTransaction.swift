/// The one implementation of ``PoolWriter``: a transaction on one pool over a backend's
/// ``PoolStorage``, performing every check of the log and the projections before it lets the
/// storage write. Backends reach it through ``PoolStorage/runTransaction(now:_:)``.
///
/// The checks written here hold on every backend:
///
/// - `pool_opened` is the first record and is never appended twice; no other record is appended
///   to a pool that does not exist (`poolNotFound`);
/// - a lease is stored only for a current member (`notMember`);
/// - a claim is stored only for a message of the pool (`notFound`);
/// - a consumer cursor only for an existing pool; reads below the compaction point throw
///   `cursorCompacted`.
final class PoolTransaction: PoolWriter {
    private let storage: any PoolStorage
    /// The pool row as this transaction sees it (nil inside: the pool does not exist), read from
    /// the storage once and then kept current by this transaction's own writes.
    private var pool: PoolInfo??
    /// The latest state of each message this transaction read or wrote, so that the projection
    /// rules (inbox, claim queue) and storing a claim (which records the message's address and
    /// queues or unqueues it) need not ask the storage again.
    private var known: [MessageID: StoredMessage] = [:]

    /// The pool this transaction is on.
    var poolID: PoolID { storage.poolID }
    /// The store clock's time when the transaction began (UTC ms); stamped on every append.
    let now: Millis
    /// How many records this transaction appended.
    private(set) var appendedCount = 0
    /// Whether a claim stopped being held (released, completed, expired, dead-lettered): a
    /// claimer waiting for a free message or a free concurrency slot must be told.
    private(set) var endedClaim = false
    /// Whether ``dropPool()`` removed the pool.
    private(set) var dropped = false
    /// Whether anything at all was written (records, consumers, leases, claims, a drop).
    private(set) var wrote = false

    /// Whether watchers must be told: a record was appended or the pool was dropped.
    var changedLog: Bool { appendedCount > 0 || dropped }

    init(storage: any PoolStorage, now: Millis) {
        self.storage = storage
        self.now = now
    }

    // MARK: Reads: the storage's, with the pool row cached and messages remembered

    func info() throws -> PoolInfo? {
        if let pool { return pool }
        let loaded = try storage.info()
        pool = .some(loaded)
        return loaded
    }

    func member(_ run: RunID) throws -> Member? { try storage.member(run) }
    func isMember(_ run: RunID) throws -> Bool { try storage.isMember(run) }
    func members() throws -> [Member] { try storage.members() }
    func members(ofAgent agent: AgentID) throws -> [Member] { try storage.members(ofAgent: agent) }
    func members(inTopic topic: TopicID) throws -> [Member] { try storage.members(inTopic: topic) }
    func topics() throws -> [TopicID] { try storage.topics() }
    func message(_ id: MessageID) throws -> StoredMessage? { remember(try storage.message(id)) }
    func message(forKey key: IdempotencyKey) throws -> StoredMessage? { remember(try storage.message(forKey: key)) }
    func messages() throws -> [StoredMessage] { try storage.messages() }
    func wake(_ id: ConditionID) throws -> StoredWake? { try storage.wake(id) }
    func wake(forKey key: IdempotencyKey) throws -> StoredWake? { try storage.wake(forKey: key) }
    func wakes() throws -> [StoredWake] { try storage.wakes() }
    func registeredWakes() throws -> [StoredWake] { try storage.registeredWakes() }
    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] { try storage.dueMessages(at: now, limit: limit) }
    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] { try storage.dueWakes(at: now, limit: limit) }
    func hasDue(at now: Millis) throws -> Bool { try storage.hasDue(at: now) }
    func lease(_ run: RunID) throws -> MemberLease? { try storage.lease(run) }
    func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease] { try storage.dueLeases(at: now, limit: limit) }
    func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry] { try storage.inbox(run: run, after: after, limit: limit) }
    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] { try storage.dueClaims(at: now, limit: limit) }
    func liveClaimCount(target: String, at now: Millis) throws -> Int { try storage.liveClaimCount(target: target, at: now) }
    func consumer(_ name: String) throws -> ConsumerCursor? { try storage.consumer(name) }
    func consumers() throws -> [ConsumerCursor] { try storage.consumers() }

    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        try storage.claims(status: status, run: run)
    }

    func claim(_ id: MessageID) throws -> MessageClaim? {
        try storage.claim(id)
    }

    func nextRetry(after now: Millis) throws -> Millis? { try storage.nextRetry(after: now) }

    func dependents(of id: MessageID) throws -> [StoredMessage] {
        try storage.dependents(of: id).compactMap { remember($0) }
    }

    func claimCandidates(key: String, at now: Millis, after: ClaimQueuePosition, limit: Int) throws -> [ClaimCandidate] {
        let candidates = try storage.claimCandidates(key: key, at: now, after: after, limit: limit)
        for candidate in candidates { _ = remember(candidate.stored) }
        return candidates
    }

    func records(after: Seq, limit: Int) throws -> [PoolRecord] {
        guard let info = try info() else { return [] }
        try info.checkNotCompacted(after: after, pool: poolID)
        return try storage.records(after: after, limit: limit)
    }

    private func remember(_ stored: StoredMessage?) -> StoredMessage? {
        if let stored { known[stored.message.messageID] = stored }
        return stored
    }

    // MARK: Writes: checked here, then stored

    func append(_ payload: RecordPayload, recordedAt: Millis) throws -> PoolRecord {
        let encoded = try RecordCodec.encode(payload)
        var current: PoolInfo
        if case .poolOpened(let config) = payload {
            guard try info() == nil else {
                throw AgentPoolError.make(.invalidStateTransition, "pool '\(poolID)' is already opened")
            }
            let incarnation = try storage.createPool(config, json: encoded.inner ?? "")
            current = PoolInfo(config: config, created: false, cursor: 0, incarnation: incarnation)
        } else {
            current = try requireInfo()
        }
        let record = PoolRecord(poolID: poolID, seq: current.cursor + 1, recordedAt: recordedAt, payload: payload)
        let changes = try ProjectionRules.changes(for: payload, inner: encoded.inner, previous: { id in
            if let stored = known[id] { return stored }
            return try storage.message(id)
        }, claimHeld: { id in try storage.claim(id)?.status == .held })
        try storage.append(EncodedRecord(record: record, payloadJSON: encoded.payload), applying: changes)
        switch payload {
        case .poolCreated: current.created = true
        case .checkpoint: current.checkpoint = record.seq
        case .runMessage(let stored):
            known[stored.message.messageID] = stored
        default: break
        }
        current.cursor = record.seq
        current.lastRecordedAt = record.recordedAt
        pool = .some(current)
        appendedCount += 1
        wrote = true
        return record
    }

    func saveConsumer(_ name: String, cursor: Seq) throws {
        _ = try requireInfo()
        try storage.saveConsumer(ConsumerCursor(name: name, cursor: cursor, updatedAt: now))
        wrote = true
    }

    func saveLease(_ lease: MemberLease) throws {
        _ = try requireInfo()
        guard try storage.isMember(lease.runID) else { throw AgentPoolError.notMember(lease.runID, pool: poolID) }
        try storage.saveLease(lease)
        wrote = true
    }

    func removeLease(_ run: RunID) throws {
        guard try info() != nil else { return }
        try storage.removeLease(run)
        wrote = true
    }

    func saveClaim(_ claim: MessageClaim) throws {
        _ = try requireInfo()
        let id = claim.messageID
        guard let stored = try known[id] ?? message(id) else {
            throw AgentPoolError.make(.notFound, "message '\(id)' does not exist in pool '\(poolID)'")
        }
        try storage.saveClaim(claim, target: stored.message.to.target.spelled)
        // The claim queue (``ClaimQueue``): a held message leaves it, any other claim puts a
        // delivered message back.
        let keys = ClaimQueue.keys(of: stored)
        if !keys.isEmpty { try storage.setQueued(id, keys: keys, queued: claim.status != .held) }
        if claim.status != .held { endedClaim = true }
        wrote = true
    }

    func discardRecords(through: Seq) throws {
        var current = try requireInfo()
        guard through > current.compactedThrough else { return }
        try storage.discardRecords(through: through)
        current.compactedThrough = through
        pool = .some(current)
        wrote = true
    }

    func dropPool() throws {
        guard try info() != nil else { return }
        try storage.dropPool()
        pool = .some(nil)
        known = [:]
        dropped = true
        wrote = true
    }
}

/// What a transaction's body did, for the backend that runs it: what to report, whether to tell
/// watchers, what to write before COMMIT.
package struct TransactionOutcome: Sendable {
    /// How many records the body appended.
    package let appendedCount: Int
    /// Whether the body dropped the pool.
    package let dropped: Bool
    /// Whether anything at all was written (records, consumers, leases, claims, a drop).
    package let wrote: Bool
    /// Whether a claim stopped being held without a record saying so necessarily (a release).
    package let endedClaim: Bool
    /// The pool's cursor after the body, when it appended.
    package let cursor: Seq?

    /// Whether watchers must be told: a record was appended or the pool was dropped.
    package var changedLog: Bool { appendedCount > 0 || dropped }
    /// Whether waiters must be told: the log changed, or a claim ended (a message or a
    /// concurrency slot may be free for a waiting claimer).
    package var wakesWaiters: Bool { changedLog || endedClaim }
}

extension PoolStorage {
    /// Runs `body` on the one ``PoolWriter`` implementation over this storage, inside the
    /// transaction the backend opened: every rule of the core is checked before this storage is
    /// asked to write. `now` is the store clock read once the transaction holds its write lock
    /// (so `recorded_at` follows seq).
    ///
    /// The backend commits when this returns and rolls back when it throws.
    package func runTransaction<T>(now: Millis, _ body: (any PoolWriter) throws -> T) throws -> (T, TransactionOutcome) {
        let transaction = PoolTransaction(storage: self, now: now)
        let value = try body(transaction)
        let cursor = transaction.appendedCount > 0 ? try transaction.info()?.cursor : nil
        return (value, TransactionOutcome(appendedCount: transaction.appendedCount, dropped: transaction.dropped,
                                          wrote: transaction.wrote, endedClaim: transaction.endedClaim, cursor: cursor))
    }

    /// Runs `body` on a read-only view of this storage with the core's read checks (compaction
    /// bounds), inside the read transaction the backend opened.
    package func runRead<T>(now: Millis, _ body: (any PoolReader) throws -> T) throws -> T {
        try body(PoolTransaction(storage: self, now: now))
    }
}
