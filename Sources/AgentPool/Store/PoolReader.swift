/// The current state of one pool as a backend's projections hold it, read inside one
/// transaction (a consistent view).
///
/// Every read is an index lookup: none replays or scans the pool's history, except
/// ``records(after:limit:)``, which reads a page of it.
public protocol PoolReader {
    /// The pool this view reads.
    var poolID: PoolID { get }
    /// The pool's config, created flag and cursor; nil when the pool was never opened.
    func info() throws -> PoolInfo?
    /// The member with `run`, if any.
    func member(_ run: RunID) throws -> Member?
    /// Whether `run` is a member (an existence check, cheaper than ``member(_:)``).
    func isMember(_ run: RunID) throws -> Bool
    /// All members, sorted by run id.
    func members() throws -> [Member]
    /// Members whose agent is `agent`, sorted by run id.
    func members(ofAgent agent: AgentID) throws -> [Member]
    /// Members subscribed to `topic`, sorted by run id.
    func members(inTopic topic: TopicID) throws -> [Member]
    /// The sorted union of member topics.
    func topics() throws -> [TopicID]
    /// The latest message + receipt for `id`, if any.
    func message(_ id: MessageID) throws -> StoredMessage?
    /// The message recorded under idempotency key `key`, if any.
    func message(forKey key: IdempotencyKey) throws -> StoredMessage?
    /// All messages, sorted by id.
    func messages() throws -> [StoredMessage]
    /// The latest wake for `id`, if any.
    func wake(_ id: ConditionID) throws -> StoredWake?
    /// The wake registered under idempotency key `key`, if any.
    func wake(forKey key: IdempotencyKey) throws -> StoredWake?
    /// All wakes, sorted by condition id.
    func wakes() throws -> [StoredWake]
    /// Wakes whose status is `registered`, sorted by condition id.
    func registeredWakes() throws -> [StoredWake]
    /// Delivered messages whose response deadline is at or before `now`, by deadline (an index).
    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage]
    /// Registered wakes whose deadline is at or before `now`, by deadline (an index).
    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake]
    /// Whether any message, wake, lease or claim is due at `now` (one cheap probe before sweeping).
    func hasDue(at now: Millis) throws -> Bool
    /// Member `run`'s lease, if it joined with one.
    func lease(_ run: RunID) throws -> MemberLease?
    /// Leases that ran out at or before `now`, by expiry (an index).
    func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease]
    /// Up to `limit` records with seq > `after`, in seq order.
    ///
    /// - Throws: `cursorCompacted` when `after` is below the pool's compaction point (records
    ///   after it are gone).
    func records(after: Seq, limit: Int) throws -> [PoolRecord]
    /// Up to `limit` deliveries to `run` with seq > `after`, in seq order (an index, not a scan).
    func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry]
    /// Message `id`'s claim record, if it was ever claimed.
    func claim(_ id: MessageID) throws -> MessageClaim?
    /// The claim queue: up to `limit` delivered messages with no live claim at `now` (never
    /// claimed, `open`, or `held` but run out), whose latest record's seq is > `after`, in that
    /// seq order (an index over open messages, not a scan of the log).
    func claimCandidates(at now: Millis, after: Seq, limit: Int) throws -> [ClaimCandidate]
    /// `held` claims that ran out at or before `now`, by expiry (an index).
    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim]
    /// Claims with `status` (held by `run` when given), sorted by message id.
    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim]
    /// Durable consumer `name`'s stored cursor, if it ever acked.
    func consumer(_ name: String) throws -> ConsumerCursor?
    /// Every durable consumer of the pool, sorted by name.
    func consumers() throws -> [ConsumerCursor]
}

/// A durable consumer's stored position in a pool's log.
public struct ConsumerCursor: Hashable, Sendable, Codable {
    /// The consumer's name, unique per pool.
    public var name: String
    /// The last acknowledged seq: the consumer resumes after it.
    public var cursor: Seq
    /// When it last acked (store clock, UTC ms).
    public var updatedAt: Millis

    /// Creates a consumer cursor.
    public init(name: String, cursor: Seq, updatedAt: Millis) {
        self.name = name
        self.cursor = cursor
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey { case name, cursor, updatedAt = "updated_at" }
}

/// A pool's config, created flag, cursor and compaction point.
public struct PoolInfo: Hashable, Sendable {
    /// The config from `pool_opened`.
    public var config: PoolConfig
    /// Whether `pool_created` was recorded.
    public var created: Bool
    /// The last seq (at least 1 once the pool exists).
    public var cursor: Seq
    /// Records with seq ≤ this were deleted by compaction (0: none).
    public var compactedThrough: Seq
    /// The seq of the latest `checkpoint` record, if any.
    public var checkpoint: Seq?

    /// Creates pool info.
    public init(config: PoolConfig, created: Bool, cursor: Seq, compactedThrough: Seq = 0, checkpoint: Seq? = nil) {
        self.config = config
        self.created = created
        self.cursor = cursor
        self.compactedThrough = compactedThrough
        self.checkpoint = checkpoint
    }

    /// Throws `cursorCompacted` when the records after `cursor` are no longer all there.
    public func checkNotCompacted(after cursor: Seq, pool: PoolID) throws {
        if cursor < compactedThrough {
            throw AgentPoolError.cursorCompacted(pool, cursor: cursor, compactedThrough: compactedThrough,
                                                 checkpoint: checkpoint ?? compactedThrough + 1)
        }
    }
}

/// An entry of the claim queue: a delivered message, the seq of its latest record, and its claim
/// record if it was ever claimed.
public struct ClaimCandidate: Hashable, Sendable {
    /// The seq of the message's latest record (the queue's order).
    public var seq: Seq
    /// The message and its receipt.
    public var stored: StoredMessage
    /// Its claim record, if any.
    public var claim: MessageClaim?

    /// Creates a candidate.
    public init(seq: Seq, stored: StoredMessage, claim: MessageClaim?) {
        self.seq = seq
        self.stored = stored
        self.claim = claim
    }
}

/// One delivery of a message to a run: the `delivered` record's seq and the message id.
public struct InboxEntry: Hashable, Sendable, Codable {
    /// The seq of the `run_message` record with status `delivered`.
    public var seq: Seq
    /// The delivered message.
    public var messageID: MessageID

    /// Creates an entry.
    public init(seq: Seq, messageID: MessageID) {
        self.seq = seq
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey { case seq, messageID = "message_id" }
}

/// One line of a store's pool listing.
public struct PoolSummary: Hashable, Sendable, Codable {
    /// The pool.
    public var poolID: PoolID
    /// Its cursor.
    public var lastSeq: Seq
    /// How many members it has now.
    public var memberCount: Int
    /// How many distinct messages it holds.
    public var messageCount: Int

    /// Creates a summary.
    public init(poolID: PoolID, lastSeq: Seq, memberCount: Int, messageCount: Int) {
        self.poolID = poolID
        self.lastSeq = lastSeq
        self.memberCount = memberCount
        self.messageCount = messageCount
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", lastSeq = "last_seq", memberCount = "member_count", messageCount = "message_count"
    }
}

extension PoolReader {
    /// Whether ``dueMessages(at:limit:)`` or ``dueWakes(at:limit:)`` would return anything.
    /// Backends may answer with one query.
    public func hasDue(at now: Millis) throws -> Bool {
        try !dueWakes(at: now, limit: 1).isEmpty || !dueMessages(at: now, limit: 1).isEmpty
            || !dueLeases(at: now, limit: 1).isEmpty || !dueClaims(at: now, limit: 1).isEmpty
    }

    /// Whether `run` is a member: ``member(_:)`` is not nil. Backends may answer more cheaply.
    public func isMember(_ run: RunID) throws -> Bool { try member(run) != nil }

    /// The pool's snapshot, built from the projections (no replay).
    ///
    /// - Throws: `poolNotFound` when the pool was never opened.
    public func snapshot() throws -> Snapshot {
        guard let info = try info() else { throw AgentPoolError.poolNotFound(poolID) }
        return Snapshot(
            poolID: poolID, created: info.created, members: try members(), topics: try topics(),
            config: info.config, messages: try messages(), wakes: try wakes(), cursor: info.cursor)
    }

    /// The seq the next append will get: the pool's cursor + 1 (allocates nothing).
    public func nextSeq() throws -> Seq {
        try requireInfo().cursor + 1
    }

    /// The pool's info, or `poolNotFound`.
    public func requireInfo() throws -> PoolInfo {
        guard let info = try info() else { throw AgentPoolError.poolNotFound(poolID) }
        return info
    }
}
