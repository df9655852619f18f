/// The checks a log must pass before ``PoolStore/importPool(_:)`` writes it.
public enum PoolImport {
    /// Checks, without touching any store, that `records` are one pool's whole log — one pool,
    /// `pool_opened` at seq 1, seqs 1…N, well formed, every id, body and duration as the API
    /// would accept it — and returns the pool's id.
    ///
    /// A compacted log (an export of a pool compacted with `compact`) starts after its compaction
    /// point, without the records its checkpoint replaced; it is refused: copy a compacted pool
    /// with a backup of the database instead.
    /// - Throws: `invalidInput` (field `records`) for an empty list, records of several pools, or
    ///   a log that does not start with `pool_opened` at seq 1; `invalidInput` naming the seq and
    ///   the field for a record the API would refuse; `corruptRecord` for a malformed log.
    @discardableResult
    public static func check(_ records: [PoolRecord]) throws(AgentPoolError) -> PoolID {
        guard let first = records.first else {
            throw .invalidInput(field: "records", "nothing to import")
        }
        let pool = first.poolID
        guard records.allSatisfy({ $0.poolID == pool }) else {
            throw .invalidInput(field: "records", "records of several pools; import one pool at a time")
        }
        guard first.seq == 1, first.kind == .poolOpened else {
            let what = records.contains { $0.kind == .checkpoint } ? "is compacted" : "is incomplete"
            throw .invalidInput(field: "records",
                "the log of pool '\(pool)' \(what): it starts at seq \(first.seq) with \(first.kind.rawValue), not with pool_opened at seq 1; only a whole log can be imported (copy a compacted pool with backup); nothing was imported")
        }
        // Every record as the API would check it, against the body limit in force at its seq.
        var maxBodyBytes = MessagePolicy.defaultMaxBodyBytes
        for record in records {
            if case .poolOpened(let config) = record.payload { maxBodyBytes = config.messagePolicy.maxBodyBytes }
            try record.validateAsTheAPIWould(maxBodyBytes: maxBodyBytes)
        }
        _ = try PoolState.replay(poolID: pool, records: records)
        return pool
    }
}

extension PoolStore {
    /// Writes a whole pool's records exactly as given — seqs and `recorded_at` preserved — in ONE
    /// transaction: all of them or none. For imports, copies between backends, and restores.
    ///
    /// The records are checked first (``PoolImport/check(_:)``: one pool, `pool_opened` at seq 1,
    /// seqs 1…N), so a malformed or compacted log is refused before anything is written.
    /// - Throws: `poolExists` when the pool already exists; `invalidInput` for an empty or mixed
    ///   list or a compacted log; `corruptRecord` for a malformed log.
    public func importPool(_ records: [PoolRecord]) async throws {
        let pool = try PoolImport.check(records)
        try await write(pool) { tx in
            guard try tx.info() == nil else {
                throw AgentPoolError.make(.poolExists, "pool '\(pool)' already exists; nothing was imported")
            }
            for record in records { try tx.restore(record) }
        }
    }

    /// Imports several pools' whole logs, each in one transaction (``importPool(_:)``), after
    /// checking that none of the pools exists here yet, so that a refused set writes nothing.
    ///
    /// - Throws: `poolExists` naming the first pool this store already has; what
    ///   ``importPool(_:)`` throws.
    public func importPools(_ logs: [[PoolRecord]]) async throws {
        let existing = Set(try await pools().map(\.poolID))
        if let taken = logs.first(where: { $0.first.map { existing.contains($0.poolID) } ?? false }) {
            throw AgentPoolError.make(.poolExists, "pool '\(taken[0].poolID)' already exists; nothing was imported")
        }
        for log in logs { try await importPool(log) }
    }
}
