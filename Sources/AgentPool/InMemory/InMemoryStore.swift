

/// A store that keeps pools in process memory, replayed by the pure reducer: for tests,
/// prototypes and single-process tools. Nothing survives the process.
///
/// Writes are serialized by one lock; a write that throws leaves every pool as it was.
public final class InMemoryStore: PoolStore {
    private let storage = Locked(Storage())
    /// The time source stamped on records.
    public let clock: any AgentPoolClock
    /// Bumped after every write that appended.
    public let changes = ChangeSignal()
    /// Where the store and its coordinators report metrics.
    public let metrics: AgentPoolMetrics

    struct Storage {
        var pools: [PoolID: InMemoryPool] = [:]
        var closed = false
    }

    /// Creates an empty store stamping records with `clock`, reporting to `metrics` (the
    /// bootstrapped swift-metrics backend by default).
    public init(clock: any AgentPoolClock = SystemClock(), metrics: AgentPoolMetrics = AgentPoolMetrics()) {
        self.clock = clock
        self.metrics = metrics
    }

    /// Runs `body` on a consistent read-only view of `pool` (see ``PoolStore/read(_:_:)``).
    public func read<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolReader) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let data = try storage.withLock { storage throws -> InMemoryPool in
            try Self.checkOpen(storage)
            return storage.pools[pool] ?? InMemoryPool(poolID: pool)
        }
        return try body(InMemoryTransaction(data: data, now: clock.nowMillis()))
    }

    /// Runs `body` as one atomic write on `pool`: all its appends or none (see ``PoolStore/write(_:_:)``).
    public func write<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolWriter) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let (result, wrote, appended) = try storage.withLock { storage throws -> (T, Bool, Int) in
            try Self.checkOpen(storage)
            let transaction = InMemoryTransaction(data: storage.pools[pool] ?? InMemoryPool(poolID: pool), now: clock.nowMillis())
            let result = try body(transaction)
            if transaction.dropped {
                storage.pools[pool] = nil
            } else if transaction.wrote {
                storage.pools[pool] = transaction.data
            }
            return (result, transaction.wrote, transaction.appendedCount)
        }
        metrics.recordsAppended(appended)
        if wrote { changes.notify() }
        return result
    }

    /// Every pool with its cursor and counts, sorted by pool id.
    public func pools() async throws -> [PoolSummary] {
        try storage.withLock { storage throws -> [PoolSummary] in
            try Self.checkOpen(storage)
            return storage.pools.values
                .compactMap { pool in
                    pool.state.cursor.map {
                        PoolSummary(poolID: pool.state.poolID, lastSeq: $0,
                                    memberCount: pool.state.members.count, messageCount: pool.state.messages.count)
                    }
                }
                .sorted { idPrecedes($0.poolID, $1.poolID) }
        }
    }

    /// Releases the store; later calls fail.
    public func close() async throws {
        storage.withLock { $0.closed = true; $0.pools = [:] }
        changes.close()
    }

    private static func checkOpen(_ storage: Storage) throws {
        if storage.closed { throw AgentPoolError.make(.storage, "the in-memory store is closed") }
    }
}

/// One pool of the in-memory store: the reducer's state, the log and the inbox index.
struct InMemoryPool: Sendable {
    var state: PoolState
    var records: [PoolRecord] = []
    var inbox: [RunID: [InboxEntry]] = [:]
    var consumers: [String: ConsumerCursor] = [:]
    var leases: [RunID: MemberLease] = [:]
    var claims: [MessageID: MessageClaim] = [:]
    /// The seq of each message's latest record (the claim queue's order).
    var messageSeqs: [MessageID: Seq] = [:]
    /// Records with seq ≤ this were compacted away; `records` starts after it.
    var compactedThrough: Seq = 0
    var checkpoint: Seq?

    init(poolID: PoolID) { state = PoolState(poolID: poolID) }
}

/// A read or write transaction on a private copy of one in-memory pool.
final class InMemoryTransaction: PoolWriter {
    private(set) var data: InMemoryPool
    private(set) var wrote = false
    private(set) var dropped = false
    private(set) var appendedCount = 0
    let now: Millis

    init(data: InMemoryPool, now: Millis) {
        self.data = data
        self.now = now
    }

    var poolID: PoolID { data.state.poolID }

    func info() throws -> PoolInfo? {
        guard let config = data.state.config, let cursor = data.state.cursor else { return nil }
        return PoolInfo(config: config, created: data.state.created, cursor: cursor,
                        compactedThrough: data.compactedThrough, checkpoint: data.checkpoint)
    }

    func member(_ run: RunID) throws -> Member? { data.state.members[run] }

    func members() throws -> [Member] {
        data.state.members.values.sorted { idPrecedes($0.runID, $1.runID) }
    }

    func members(ofAgent agent: AgentID) throws -> [Member] {
        try members().filter { $0.agentID == agent }
    }

    func members(inTopic topic: TopicID) throws -> [Member] {
        try members().filter { $0.topics.contains(topic) }
    }

    func topics() throws -> [TopicID] {
        data.state.members.values.flatMap(\.topics).normalizedIDs()
    }

    func message(_ id: MessageID) throws -> StoredMessage? { data.state.messages[id] }

    func message(forKey key: IdempotencyKey) throws -> StoredMessage? {
        data.state.messageIDsByKey[key].flatMap { data.state.messages[$0] }
    }

    func messages() throws -> [StoredMessage] {
        data.state.messages.values.sorted { idPrecedes($0.message.messageID, $1.message.messageID) }
    }

    func wake(_ id: ConditionID) throws -> StoredWake? { data.state.wakes[id] }

    func wake(forKey key: IdempotencyKey) throws -> StoredWake? {
        data.state.conditionIDsByKey[key].flatMap { data.state.wakes[$0] }
    }

    func wakes() throws -> [StoredWake] {
        data.state.wakes.values.sorted { idPrecedes($0.condition.conditionID, $1.condition.conditionID) }
    }

    func registeredWakes() throws -> [StoredWake] {
        try wakes().filter { $0.registration.status == .registered }
    }

    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] {
        Array(data.state.messages.values.filter { $0.deadline.map { $0 <= now } ?? false }
            .sorted { ($0.deadline!, $0.message.messageID) < ($1.deadline!, $1.message.messageID) }.prefix(limit))
    }

    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] {
        Array(data.state.wakes.values.filter { $0.deadline.map { $0 <= now } ?? false }
            .sorted { ($0.deadline!, $0.condition.conditionID) < ($1.deadline!, $1.condition.conditionID) }.prefix(limit))
    }

    func records(after: Seq, limit: Int) throws -> [PoolRecord] {
        try info()?.checkNotCompacted(after: after, pool: poolID)
        // seq n is at index n - compactedThrough - 1: the log is gapless after its compaction point.
        let start = Int(min(max(after - data.compactedThrough, 0), Seq(data.records.count)))
        return Array(data.records[start...].prefix(max(limit, 0)))
    }

    func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry] {
        Array((data.inbox[run] ?? []).lazy.filter { $0.seq > after }.prefix(max(limit, 0)))
    }

    func consumer(_ name: String) throws -> ConsumerCursor? { data.consumers[name] }

    func consumers() throws -> [ConsumerCursor] {
        data.consumers.values.sorted { idPrecedes($0.name, $1.name) }
    }

    func lease(_ run: RunID) throws -> MemberLease? { data.leases[run] }

    func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease] {
        Array(data.leases.values.filter { $0.expiresAt <= now }
            .sorted { ($0.expiresAt, $0.runID) < ($1.expiresAt, $1.runID) }.prefix(limit))
    }

    func claim(_ id: MessageID) throws -> MessageClaim? { data.claims[id] }

    func claimCandidates(at now: Millis, after: Seq, limit: Int) throws -> [ClaimCandidate] {
        let open = data.state.messages.values.compactMap { stored -> ClaimCandidate? in
            let id = stored.message.messageID
            let seq = data.messageSeqs[id] ?? 0
            guard stored.receipt.status == .delivered, seq > after else { return nil }
            let claim = data.claims[id]
            if let claim, claim.status == .held, claim.expiresAt > now { return nil }
            return ClaimCandidate(seq: seq, stored: stored, claim: claim)
        }
        return Array(open.sorted { $0.seq < $1.seq }.prefix(max(limit, 0)))
    }

    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] {
        Array(data.claims.values.filter { $0.status == .held && $0.expiresAt <= now }
            .sorted { ($0.expiresAt, $0.messageID) < ($1.expiresAt, $1.messageID) }.prefix(max(limit, 0)))
    }

    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        data.claims.values.filter { $0.status == status && (run == nil || $0.runID == run) }
            .sorted { idPrecedes($0.messageID, $1.messageID) }
    }

    func saveClaim(_ claim: MessageClaim) throws {
        guard data.state.messages[claim.messageID] != nil else {
            throw AgentPoolError.make(.notFound, "message '\(claim.messageID)' does not exist in pool '\(poolID)'")
        }
        data.claims[claim.messageID] = claim
        wrote = true
    }

    func discardRecords(through: Seq) throws {
        guard through > data.compactedThrough else { return }
        data.records.removeFirst(Int(min(through, data.state.cursor ?? 0) - data.compactedThrough))
        data.compactedThrough = through
        wrote = true
    }

    func dropPool() throws {
        data = InMemoryPool(poolID: poolID)
        dropped = true
        wrote = true
    }

    func saveLease(_ lease: MemberLease) throws {
        guard data.state.members[lease.runID] != nil else { throw AgentPoolError.notMember(lease.runID, pool: poolID) }
        data.leases[lease.runID] = lease
        wrote = true
    }

    func removeLease(_ run: RunID) throws {
        if data.leases.removeValue(forKey: run) != nil { wrote = true }
    }

    func saveConsumer(_ name: String, cursor: Seq) throws {
        guard data.state.config != nil else { throw AgentPoolError.poolNotFound(poolID) }
        data.consumers[name] = ConsumerCursor(name: name, cursor: cursor, updatedAt: now)
        wrote = true
    }

    func append(_ payload: RecordPayload, recordedAt: Millis) throws -> PoolRecord {
        if case .poolOpened = payload, data.state.config != nil {
            throw AgentPoolError.make(.invalidStateTransition, "pool '\(poolID)' is already opened")
        }
        if data.state.config == nil, payload.kind != .poolOpened {
            throw AgentPoolError.poolNotFound(poolID)
        }
        // Encoding proves the payload is storable, as on every other backend.
        _ = try RecordCodec.encode(payload)
        let record = PoolRecord(poolID: poolID, seq: (data.state.cursor ?? 0) + 1, recordedAt: recordedAt, payload: payload)
        if case .runMessage(let stored) = payload, stored.receipt.status == .delivered,
           data.state.messages[stored.message.messageID]?.receipt.status != .delivered {
            for run in stored.receipt.deliveredTo {
                data.inbox[run, default: []].append(InboxEntry(seq: record.seq, messageID: stored.message.messageID))
            }
        }
        try data.state.apply(record)
        switch payload {
        case .memberLeft(let member, _): data.leases[member.runID] = nil
        case .runMessage(let stored): data.messageSeqs[stored.message.messageID] = record.seq
        case .checkpoint: data.checkpoint = record.seq
        default: break
        }
        data.records.append(record)
        wrote = true
        appendedCount += 1
        return record
    }
}
