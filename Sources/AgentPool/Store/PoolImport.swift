extension PoolStore {
    /// Writes a whole pool's records exactly as given — seqs and `recorded_at` preserved — in ONE
    /// transaction: all of them or none. For imports, copies between backends, and restores.
    ///
    /// The records are checked first with the pure reducer (one pool, seqs 1…N, `pool_opened`
    /// first), so a malformed log is refused before anything is written.
    /// - Throws: `poolExists` when the pool already exists; `invalidInput` for an empty or mixed
    ///   list; `corruptRecord` for a malformed log.
    public func importPool(_ records: [PoolRecord]) async throws {
        guard let pool = records.first?.poolID else {
            throw AgentPoolError.invalidInput(field: "records", "nothing to import")
        }
        guard records.allSatisfy({ $0.poolID == pool }) else {
            throw AgentPoolError.invalidInput(field: "records", "records of several pools; import one pool at a time")
        }
        _ = try PoolState.replay(poolID: pool, records: records)
        try await write(pool) { tx in
            guard try tx.info() == nil else {
                throw AgentPoolError.make(.poolExists, "pool '\(pool)' already exists; nothing was imported")
            }
            for record in records { try tx.restore(record) }
        }
    }
}
