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
    /// The `recorded_at` of the pool's last record (nil before its first): a new record is never
    /// stamped earlier, so `recorded_at` does not go backwards within a pool.
    public var lastRecordedAt: Millis?
    /// Tells apart the pools that one name has had: a pool dropped and opened again is a new
    /// incarnation, with a new number, never reused within a store (0 while being created).
    /// Watchers check it, so that a follower of a dropped pool ends instead of reading the
    /// new pool's records as if they continued the old log.
    public var incarnation: Int64

    /// Creates pool info.
    public init(config: PoolConfig, created: Bool, cursor: Seq, compactedThrough: Seq = 0, checkpoint: Seq? = nil,
                lastRecordedAt: Millis? = nil, incarnation: Int64 = 0) {
        self.config = config
        self.created = created
        self.cursor = cursor
        self.compactedThrough = compactedThrough
        self.checkpoint = checkpoint
        self.lastRecordedAt = lastRecordedAt
        self.incarnation = incarnation
    }

    /// Throws `cursorCompacted` when the records after `cursor` are no longer all there.
    public func checkNotCompacted(after cursor: Seq, pool: PoolID) throws {
        if cursor < compactedThrough {
            throw AgentPoolError.cursorCompacted(pool, cursor: cursor, compactedThrough: compactedThrough,
                                                 checkpoint: checkpoint ?? compactedThrough + 1)
        }
    }
}
