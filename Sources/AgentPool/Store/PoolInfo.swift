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

    /// Creates pool info.
    public init(config: PoolConfig, created: Bool, cursor: Seq, compactedThrough: Seq = 0, checkpoint: Seq? = nil,
                lastRecordedAt: Millis? = nil) {
        self.config = config
        self.created = created
        self.cursor = cursor
        self.compactedThrough = compactedThrough
        self.checkpoint = checkpoint
        self.lastRecordedAt = lastRecordedAt
    }

    /// Throws `cursorCompacted` when the records after `cursor` are no longer all there.
    public func checkNotCompacted(after cursor: Seq, pool: PoolID) throws {
        if cursor < compactedThrough {
            throw AgentPoolError.cursorCompacted(pool, cursor: cursor, compactedThrough: compactedThrough,
                                                 checkpoint: checkpoint ?? compactedThrough + 1)
        }
    }
}
