/// The store operations that every backend shares, built on ``PoolWriter/append(_:)``.
///
/// Each checks its input and the pool's current state first and appends only when every check
/// passes, so a thrown error leaves the transaction without writes. Compose several in one
/// ``PoolStore/write(_:_:)`` body to make them one atomic write.
extension PoolWriter {
    /// Opens the pool: appends `pool_opened` when the pool does not exist; with an equal config
    /// writes nothing. Returns the snapshot.
    ///
    /// - Throws: `configConflict` when the pool exists with another config; `invalidInput`.
    @discardableResult
    package func openPool(_ config: PoolConfig) throws -> Snapshot {
        try config.validate()
        let config = config.normalized()
        if let existing = try info() {
            guard existing.config == config else {
                throw AgentPoolError.make(.configConflict, "pool '\(poolID)' exists with a different config")
            }
        } else {
            _ = try append(.poolOpened(config))
        }
        return try snapshot()
    }

    /// Appends `pool_created` unless already recorded; returns the record, or nil when nothing was written.
    ///
    /// - Throws: `poolNotFound`.
    @discardableResult
    package func markCreated() throws -> PoolRecord? {
        guard try !requireInfo().created else { return nil }
        return try append(.poolCreated)
    }

    /// Appends `member_joined` (adding or replacing the member); nil when the same member is
    /// already there and nothing was written.
    ///
    /// - Throws: `invalidInput`; `poolNotFound`.
    @discardableResult
    package func join(_ member: Member) throws -> PoolRecord? {
        try member.validate()
        let member = member.normalized()
        _ = try requireInfo()
        if try self.member(member.runID) == member { return nil }
        return try append(.memberJoined(member))
    }

    /// Appends `member_left` for `run`.
    ///
    /// - Throws: `notMember` when `run` is not a member; `invalidInput`; `poolNotFound`.
    @discardableResult
    package func leave(_ run: RunID, reason: String? = nil) throws -> PoolRecord {
        try IDValidation.check(run, field: "run_id")
        _ = try requireInfo()
        guard let member = try member(run) else { throw AgentPoolError.notMember(run, pool: poolID) }
        return try append(.memberLeft(member, reason: reason))
    }

    /// Records a message status: appends `run_message` when the status machine allows it; nil
    /// when the same receipt is already recorded (a no-op).
    ///
    /// - Throws: `idempotencyConflict` when the key or the message id is already used by another
    ///   message; `invalidStateTransition`; `invalidInput`; `poolNotFound`.
    @discardableResult
    package func recordMessage(_ stored: StoredMessage) throws -> PoolRecord? {
        try stored.validate(maxBodyBytes: nil)
        let stored = stored.normalized()
        _ = try requireInfo()
        let existing = try message(stored.message.messageID)
        if existing == nil, let other = try message(forKey: stored.message.idempotencyKey) {
            throw AgentPoolError.make(.idempotencyConflict,
                "idempotency key '\(stored.message.idempotencyKey)' is already used by message '\(other.message.messageID)'")
        }
        return try appendMessage(stored, replacing: existing)
    }

    /// Appends a normalized, valid `stored` when the status machine allows it after `existing`
    /// (the message's current state in this transaction, nil for a new message whose key the
    /// caller has checked); nil for a no-op.
    func appendMessage(_ stored: StoredMessage, replacing existing: StoredMessage?) throws -> PoolRecord? {
        let id = stored.message.messageID
        let next = stored.receipt
        if let existing {
            guard existing.message == stored.message else {
                throw AgentPoolError.make(.idempotencyConflict,
                    "message id '\(id)' is already used by a different message in pool '\(poolID)'")
            }
            if existing.receipt == next { return nil }
            let current = existing.receipt.status
            // A receipt may change without a status change while it is open (a reply counted).
            let allowed = current == next.status ? !current.isFinal : current.canTransition(to: next.status)
            guard allowed else {
                throw AgentPoolError.make(.invalidStateTransition,
                    "message '\(id)' cannot go from \(current.rawValue) to \(next.status.rawValue)")
            }
        } else {
            guard next.status.isInitial else {
                throw AgentPoolError.make(.invalidStateTransition,
                    "a new message starts as accepted, failed or expired, not \(next.status.rawValue)")
            }
        }
        return try append(.runMessage(stored))
    }

    /// Records a wake registration: appends `wake` when the status machine allows it; nil when the
    /// same registration is already recorded (a no-op).
    ///
    /// - Throws: `idempotencyConflict` when the key or the condition id is already used by another
    ///   condition; `invalidStateTransition`; `invalidInput`; `poolNotFound`.
    @discardableResult
    package func recordWake(_ stored: StoredWake) throws -> PoolRecord? {
        try stored.validate()
        let id = stored.condition.conditionID
        let stored = stored.normalized()
        _ = try requireInfo()
        let existing = try wake(id)
        if existing == nil, let other = try wake(forKey: stored.condition.idempotencyKey) {
            throw AgentPoolError.make(.idempotencyConflict,
                "idempotency key '\(stored.condition.idempotencyKey)' is already used by wake '\(other.condition.conditionID)'")
        }
        return try appendWake(stored, replacing: existing)
    }

    /// Appends a normalized, valid `stored` when the status machine allows it after `existing`
    /// (the wake's current state in this transaction, nil for a new wake whose key the caller
    /// has checked); nil for a no-op.
    func appendWake(_ stored: StoredWake, replacing existing: StoredWake?) throws -> PoolRecord? {
        let id = stored.condition.conditionID
        let next = stored.registration
        if let existing {
            guard existing.condition == stored.condition, existing.compiledFilter == stored.compiledFilter else {
                throw AgentPoolError.make(.idempotencyConflict,
                    "condition id '\(id)' is already used by a different wake condition in pool '\(poolID)'")
            }
            if existing.registration == next { return nil }
            let current = existing.registration.status
            guard current.canTransition(to: next.status) else {
                throw AgentPoolError.make(.invalidStateTransition,
                    "wake '\(id)' cannot go from \(current.rawValue) to \(next.status.rawValue)")
            }
        } else {
            guard next.status == .registered else {
                throw AgentPoolError.make(.invalidStateTransition, "a new wake starts as registered, not \(next.status.rawValue)")
            }
        }
        return try append(.wake(stored))
    }
}

/// One-call forms of the store operations, each its own atomic write or consistent read: for
/// tests, tools and the benchmark inside this package. Users coordinate through ``PoolHandle``,
/// whose verbs apply every coordination rule (``PoolHandle/leave(_:)`` releases the run's claims
/// and triggers departure wakes; the low-level `leave` here only appends `member_left`).
extension PoolStore {
    /// Opens `pool` with `config` (see ``PoolWriter/openPool(_:)``).
    @discardableResult
    package func openPool(_ pool: PoolID, config: PoolConfig = PoolConfig()) async throws -> Snapshot {
        try await write(pool) { try $0.openPool(config) }
    }

    /// The pool's snapshot, read from projections.
    package func snapshot(_ pool: PoolID) async throws -> Snapshot {
        try await read(pool) { try $0.snapshot() }
    }

    /// See ``PoolWriter/markCreated()``.
    @discardableResult
    package func markCreated(_ pool: PoolID) async throws -> PoolRecord? {
        try await write(pool) { try $0.markCreated() }
    }

    /// See ``PoolWriter/join(_:)``.
    @discardableResult
    package func join(_ pool: PoolID, _ member: Member) async throws -> PoolRecord? {
        try await write(pool) { try $0.join(member) }
    }

    /// See ``PoolWriter/leave(_:)``.
    @discardableResult
    package func leave(_ pool: PoolID, run: RunID) async throws -> PoolRecord {
        try await write(pool) { try $0.leave(run) }
    }

    /// See ``PoolWriter/recordMessage(_:)``.
    @discardableResult
    package func recordMessage(_ pool: PoolID, _ stored: StoredMessage) async throws -> PoolRecord? {
        try await write(pool) { try $0.recordMessage(stored) }
    }

    /// See ``PoolWriter/recordWake(_:)``.
    @discardableResult
    package func recordWake(_ pool: PoolID, _ stored: StoredWake) async throws -> PoolRecord? {
        try await write(pool) { try $0.recordWake(stored) }
    }

    /// The message recorded under `key`, if any (dedupe lookup).
    package func message(_ pool: PoolID, forKey key: IdempotencyKey) async throws -> StoredMessage? {
        try IDValidation.check(key, field: "idempotency_key")
        return try await read(pool) { try $0.message(forKey: key) }
    }

    /// The wake registered under `key`, if any (dedupe lookup).
    package func wake(_ pool: PoolID, forKey key: IdempotencyKey) async throws -> StoredWake? {
        try IDValidation.check(key, field: "idempotency_key")
        return try await read(pool) { try $0.wake(forKey: key) }
    }

    /// The wake with condition id `id`, if any.
    package func wake(_ pool: PoolID, id: ConditionID) async throws -> StoredWake? {
        try IDValidation.check(id, field: "condition_id")
        return try await read(pool) { try $0.wake(id) }
    }

    /// Up to `limit` records of `pool` with seq > `after`, in seq order.
    ///
    /// - Throws: `invalidInput` for a negative cursor or a limit below 1.
    package func records(_ pool: PoolID, after: Seq = 0, limit: Int = 1000) async throws -> [PoolRecord] {
        guard after >= 0 else { throw AgentPoolError.invalidInput(field: "after", "cursor must not be negative") }
        guard limit >= 1 else { throw AgentPoolError.invalidInput(field: "limit", "limit must be at least 1") }
        return try await read(pool) { try $0.records(after: after, limit: limit) }
    }

    /// Every record `pool` still holds (from its latest compaction point on), read page by page.
    package func allRecords(_ pool: PoolID, pageSize: Int = 1000) async throws -> [PoolRecord] {
        let start = try await read(pool) { try $0.info()?.compactedThrough ?? 0 }
        var result: [PoolRecord] = []
        while true {
            let page = try await records(pool, after: result.last?.seq ?? start, limit: pageSize)
            result += page
            if page.count < pageSize { return result }
        }
    }
}
