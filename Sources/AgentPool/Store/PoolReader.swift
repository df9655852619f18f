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
    /// The claim queue under one key (``ClaimQueue``: `run:R`, `agent:A`, `topic:T` or `pool`):
    /// up to `limit` delivered messages queued under `key` with no live claim at `now` (never
    /// claimed, or `open` and past its back-off), whose ``ClaimCandidate/position`` is after
    /// `after`, in that order — higher priority first, then older. One index range: entries
    /// under other keys, and messages a live claim holds, are never read.
    func claimCandidates(key: String, at now: Millis, after: ClaimQueuePosition, limit: Int) throws -> [ClaimCandidate]
    /// The `accepted` messages whose ``Message/after`` names `id`, sorted by id (an index).
    func dependents(of id: MessageID) throws -> [StoredMessage]
    /// The earliest instant after `now` at which an `open` claim's back-off ends (a claim
    /// released with a retry-after: its message is not claimable before), if any (an index).
    func nextRetry(after now: Millis) throws -> Millis?
    /// How many `held` claims that have not run out at `now` are on messages sent to `target`
    /// (spelled as ``PoolConfig/claimLimits`` keys: `topic:T`, `agent:A`) (an index).
    func liveClaimCount(target: String, at now: Millis) throws -> Int
    /// `held` claims that ran out at or before `now`, by expiry (an index).
    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim]
    /// Claims with `status` (held by `run` when given), sorted by message id.
    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim]
    /// Durable consumer `name`'s stored cursor, if it ever acked.
    func consumer(_ name: String) throws -> ConsumerCursor?
    /// Every durable consumer of the pool, sorted by name.
    func consumers() throws -> [ConsumerCursor]
}

extension PoolReader {
    /// Whether ``dueMessages(at:limit:)`` or ``dueWakes(at:limit:)`` would return anything.
    /// Backends may answer with one query.
    package func hasDue(at now: Millis) throws -> Bool {
        try !dueWakes(at: now, limit: 1).isEmpty || !dueMessages(at: now, limit: 1).isEmpty
            || !dueLeases(at: now, limit: 1).isEmpty || !dueClaims(at: now, limit: 1).isEmpty
    }

    /// Whether `run` is a member: ``member(_:)`` is not nil. Backends may answer more cheaply.
    package func isMember(_ run: RunID) throws -> Bool { try member(run) != nil }

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
    package func nextSeq() throws -> Seq {
        try requireInfo().cursor + 1
    }

    /// The pool's info, or `poolNotFound`.
    package func requireInfo() throws -> PoolInfo {
        guard let info = try info() else { throw AgentPoolError.poolNotFound(poolID) }
        return info
    }
}
