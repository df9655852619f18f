/// What a compaction (``PoolHandle/compact(through:force:)``) did.
public struct CompactionResult: Hashable, Sendable, Codable {
    /// The `checkpoint` record's seq (the latest one when nothing was written).
    public var checkpoint: Seq?
    /// Records with seq ≤ this are gone.
    public var compactedThrough: Seq
    /// How many records this call deleted (0: nothing was written).
    public var deleted: Int

    /// Creates a result.
    public init(checkpoint: Seq?, compactedThrough: Seq, deleted: Int) {
        self.checkpoint = checkpoint
        self.compactedThrough = compactedThrough
        self.deleted = deleted
    }

    enum CodingKeys: String, CodingKey { case checkpoint, compactedThrough = "compacted_through", deleted }
}

/// Retention, built on ``PoolWriter/append(_:)`` and ``PoolWriter/discardRecords(through:)``.
extension PoolWriter {
    /// Compacts the pool's log: appends a `checkpoint` record holding the pool's snapshot at the
    /// checkpoint's own seq, then deletes every record with seq ≤ `through`, in this one
    /// transaction. Replaying the checkpoint and the records after it gives the snapshot; reading
    /// from a cursor below `through` then throws `cursorCompacted`. Nothing is written when
    /// `through` is at or below the current compaction point.
    ///
    /// - Throws: `invalidInput` when `through` is outside 1…cursor, or (unless `force`) beyond
    ///   the slowest durable consumer's cursor (its records would be lost to it); `poolNotFound`.
    @discardableResult
    package func compact(through: Seq, force: Bool = false) throws -> CompactionResult {
        let info = try requireInfo()
        guard through >= 1, through <= info.cursor else {
            throw AgentPoolError.invalidInput(field: "through", "through must be within 1…\(info.cursor) for pool '\(poolID)', not \(through)")
        }
        if !force, let slowest = try consumers().min(by: { $0.cursor < $1.cursor }), through > slowest.cursor {
            throw AgentPoolError.invalidInput(field: "through",
                "durable consumer '\(slowest.name)' of pool '\(poolID)' is at \(slowest.cursor): compact through at most that, or force")
        }
        guard through > info.compactedThrough else {
            return CompactionResult(checkpoint: info.checkpoint, compactedThrough: info.compactedThrough, deleted: 0)
        }
        var snapshot = try snapshot()
        snapshot.cursor = info.cursor + 1
        let record = try append(.checkpoint(snapshot))
        try discardRecords(through: through)
        return CompactionResult(checkpoint: record.seq, compactedThrough: through, deleted: Int(through - info.compactedThrough))
    }
}

extension PoolStore {
    /// See ``PoolWriter/compact(through:force:)``; one atomic write.
    @discardableResult
    package func compact(_ pool: PoolID, through: Seq, force: Bool = false) async throws -> CompactionResult {
        try await write(pool) { try $0.compact(through: through, force: force) }
    }

    /// Removes `pool` entirely — log, projections, consumers, leases, claims — in one write.
    /// Watchers of the pool see no more records.
    ///
    /// - Throws: `poolNotFound` when the pool does not exist; nothing is written.
    package func drop(_ pool: PoolID) async throws {
        try await write(pool) { tx in
            _ = try tx.requireInfo()
            try tx.dropPool()
        }
    }
}
