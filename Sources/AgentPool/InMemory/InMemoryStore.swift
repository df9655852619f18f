

/// A store that keeps pools in process memory, in dictionaries standing for the projections: for tests,
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
        return try InMemoryStorage(data: data).runRead(now: clock.nowMillis(), body)
    }

    /// Runs `body` as one atomic write on `pool`: all its appends or none (see ``PoolStore/write(_:_:)``).
    public func write<T: Sendable>(_ pool: PoolID, _ body: @escaping @Sendable (any PoolWriter) throws -> T) async throws -> T {
        try IDValidation.check(pool, field: "pool_id")
        let (result, wrote, appended) = try storage.withLock { storage throws -> (T, Bool, Int) in
            try Self.checkOpen(storage)
            let data = InMemoryStorage(data: storage.pools[pool] ?? InMemoryPool(poolID: pool))
            let (result, outcome) = try data.runTransaction(now: clock.nowMillis(), body)
            if outcome.dropped {
                storage.pools[pool] = nil
            } else if outcome.wrote {
                storage.pools[pool] = data.data
            }
            return (result, outcome.wrote, outcome.appendedCount)
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
                    pool.config.map { _ in
                        PoolSummary(poolID: pool.poolID, lastSeq: pool.cursor,
                                    memberCount: pool.members.count, messageCount: pool.messages.count)
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

/// One pool of the in-memory store: its log, and dictionaries standing for the projections.
struct InMemoryPool: Sendable {
    /// The last incarnation handed out, in this process (never reused).
    static let nextIncarnation = Locked<Int64>(0)

    let poolID: PoolID
    var config: PoolConfig?
    /// This pool's incarnation (``PoolInfo/incarnation``).
    var incarnation: Int64 = 0
    var created = false
    /// The log's last seq (the compaction point when the log is empty after compaction).
    var cursor: Seq = 0
    var records: [PoolRecord] = []
    var members: [RunID: Member] = [:]
    var messages: [MessageID: StoredMessage] = [:]
    var messageIDsByKey: [IdempotencyKey: MessageID] = [:]
    /// The seq of each message's latest record (the claim queue's order).
    var messageSeqs: [MessageID: Seq] = [:]
    var wakes: [ConditionID: StoredWake] = [:]
    var conditionIDsByKey: [IdempotencyKey: ConditionID] = [:]
    var inbox: [RunID: [InboxEntry]] = [:]
    var consumers: [String: ConsumerCursor] = [:]
    var leases: [RunID: MemberLease] = [:]
    var claims: [MessageID: MessageClaim] = [:]
    /// The claim queue (``ClaimQueue``): per key, the position of each message queued under it.
    var queue: [String: [MessageID: ClaimQueuePosition]] = [:]
    /// Records with seq ≤ this were compacted away; `records` starts after it.
    var compactedThrough: Seq = 0
    var checkpoint: Seq?

    init(poolID: PoolID) { self.poolID = poolID }
}

/// The in-memory backend's ``PoolStorage``: a private copy of one pool, committed by the store
/// when the transaction's body returns.
final class InMemoryStorage: PoolStorage {
    private(set) var data: InMemoryPool

    init(data: InMemoryPool) { self.data = data }

    var poolID: PoolID { data.poolID }

    // MARK: Reads

    func info() throws -> PoolInfo? {
        guard let config = data.config else { return nil }
        return PoolInfo(config: config, created: data.created, cursor: data.cursor,
                        compactedThrough: data.compactedThrough, checkpoint: data.checkpoint,
                        lastRecordedAt: data.records.last?.recordedAt, incarnation: data.incarnation)
    }

    func member(_ run: RunID) throws -> Member? { data.members[run] }

    func members() throws -> [Member] {
        data.members.values.sorted { idPrecedes($0.runID, $1.runID) }
    }

    func members(ofAgent agent: AgentID) throws -> [Member] {
        try members().filter { $0.agentID == agent }
    }

    func members(inTopic topic: TopicID) throws -> [Member] {
        try members().filter { $0.topics.contains(topic) }
    }

    func topics() throws -> [TopicID] {
        data.members.values.flatMap(\.topics).normalizedIDs()
    }

    func message(_ id: MessageID) throws -> StoredMessage? { data.messages[id] }

    func message(forKey key: IdempotencyKey) throws -> StoredMessage? {
        data.messageIDsByKey[key].flatMap { data.messages[$0] }
    }

    func messages() throws -> [StoredMessage] {
        data.messages.values.sorted { idPrecedes($0.message.messageID, $1.message.messageID) }
    }

    func wake(_ id: ConditionID) throws -> StoredWake? { data.wakes[id] }

    func wake(forKey key: IdempotencyKey) throws -> StoredWake? {
        data.conditionIDsByKey[key].flatMap { data.wakes[$0] }
    }

    func wakes() throws -> [StoredWake] {
        data.wakes.values.sorted { idPrecedes($0.condition.conditionID, $1.condition.conditionID) }
    }

    func registeredWakes() throws -> [StoredWake] {
        try wakes().filter { $0.registration.status == .registered }
    }

    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] {
        Array(data.messages.values.filter { $0.deadline.map { $0 <= now } ?? false }
            .sorted { ($0.deadline!, $0.message.messageID) < ($1.deadline!, $1.message.messageID) }.prefix(limit))
    }

    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] {
        Array(data.wakes.values.filter { $0.deadline.map { $0 <= now } ?? false }
            .sorted { ($0.deadline!, $0.condition.conditionID) < ($1.deadline!, $1.condition.conditionID) }.prefix(limit))
    }

    func records(after: Seq, limit: Int) throws -> [PoolRecord] {
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

    func claimCandidates(key: String, at now: Millis, after: ClaimQueuePosition, limit: Int) throws -> [ClaimCandidate] {
        let entries = (data.queue[key] ?? [:]).filter { $0.value > after }.sorted { $0.value < $1.value }
        var result: [ClaimCandidate] = []
        for (id, position) in entries where result.count < limit {
            guard let stored = data.messages[id] else { continue }
            let claim = data.claims[id]
            if let claim, claim.status == .held || claim.status == .open, claim.expiresAt > now { continue }
            result.append(ClaimCandidate(seq: position.seq, stored: stored, claim: claim))
        }
        return result
    }

    func dependents(of id: MessageID) throws -> [StoredMessage] {
        data.messages.values.filter { $0.receipt.status == .accepted && $0.message.after.contains(id) }
            .sorted { idPrecedes($0.message.messageID, $1.message.messageID) }
    }

    func liveClaimCount(target: String, at now: Millis) throws -> Int {
        data.claims.values.filter { claim in
            claim.status == .held && claim.expiresAt > now && data.messages[claim.messageID]?.message.to.target.spelled == target
        }.count
    }

    func nextRetry(after now: Millis) throws -> Millis? {
        data.claims.values.filter { $0.status == .open && $0.expiresAt > now }.map(\.expiresAt).min()
    }

    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] {
        Array(data.claims.values.filter { $0.status == .held && $0.expiresAt <= now }
            .sorted { ($0.expiresAt, $0.messageID) < ($1.expiresAt, $1.messageID) }.prefix(max(limit, 0)))
    }

    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        data.claims.values.filter { $0.status == status && (run == nil || $0.runID == run) }
            .sorted { idPrecedes($0.messageID, $1.messageID) }
    }

    // MARK: Writes

    func createPool(_ config: PoolConfig, json: String) throws -> Int64 {
        data.config = config
        data.incarnation = InMemoryPool.nextIncarnation.withLock { $0 += 1; return $0 }
        return data.incarnation
    }

    func append(_ encoded: EncodedRecord, applying changes: [ProjectionChange]) throws {
        let record = encoded.record
        for change in changes {
            switch change {
            case .markCreated:
                data.created = true
            case .checkpoint:
                data.checkpoint = record.seq
            case .putMember(let member, _):
                data.members[member.runID] = member
            case .removeMember(let run):
                data.members[run] = nil
            case .removeLease(let run):
                data.leases[run] = nil
            case .putMessage(let stored, _):
                let id = stored.message.messageID
                data.messages[id] = stored
                data.messageIDsByKey[stored.message.idempotencyKey] = id
                data.messageSeqs[id] = record.seq
            case .dequeue(let id, let keys):
                for key in keys { data.queue[key]?[id] = nil }
            case .enqueue(let id, let keys, let rank):
                for key in keys { data.queue[key, default: [:]][id] = ClaimQueuePosition(rank: rank, seq: record.seq) }
            case .addDependencies, .removeDependencies:
                break  // dependents(of:) filters the messages themselves
            case .deliver(let id, let runs):
                for run in runs { data.inbox[run, default: []].append(InboxEntry(seq: record.seq, messageID: id)) }
            case .putWake(let stored, _):
                data.wakes[stored.condition.conditionID] = stored
                data.conditionIDsByKey[stored.condition.idempotencyKey] = stored.condition.conditionID
            }
        }
        data.records.append(record)
        data.cursor = record.seq
    }

    func saveConsumer(_ consumer: ConsumerCursor) throws { data.consumers[consumer.name] = consumer }

    func saveLease(_ lease: MemberLease) throws { data.leases[lease.runID] = lease }

    func removeLease(_ run: RunID) throws { data.leases[run] = nil }

    func saveClaim(_ claim: MessageClaim, target: String) throws { data.claims[claim.messageID] = claim }

    func setQueued(_ id: MessageID, keys: [String], queued: Bool) throws {
        guard let stored = data.messages[id] else { return }
        let position = ClaimQueuePosition(priority: stored.message.priority, seq: data.messageSeqs[id] ?? 0)
        for key in keys { data.queue[key, default: [:]][id] = queued ? position : nil }
    }

    func discardRecords(through: Seq) throws {
        data.records.removeFirst(Int(min(through, data.cursor) - data.compactedThrough))
        data.compactedThrough = through
    }

    func dropPool() throws { data = InMemoryPool(poolID: poolID) }
}
