/// Retention: compaction and dropping a pool.
extension PoolHandle {
    /// Compacts the pool's log through `through` (docs/DESIGN.md, "Compaction"): a
    /// `checkpoint` record holding the snapshot, and the records ≤ `through` deleted, in one
    /// write. Without `force` it never passes the slowest durable consumer.
    ///
    /// Followers below the compaction point get `cursorCompacted` (its ``AgentPoolError/checkpoint``
    /// is the checkpoint's seq): resync from ``snapshot()`` and watch on after its cursor.
    @discardableResult
    public func compact(through: Seq, force: Bool = false) async throws -> CompactionResult {
        try await coordinate { try $0.tx.compact(through: through, force: force) }
    }

    /// Removes the pool entirely (log, projections, consumers, leases, claims).
    ///
    /// - Throws: `poolNotFound`; nothing is written.
    public func drop() async throws {
        try await store.drop(poolID)
    }
}
