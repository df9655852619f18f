/// A pool's state as the pure reducer computes it: `state + record → state`.
///
/// The in-memory store keeps its pools in this form, and every replay check compares a backend's
/// snapshot with ``replay(poolID:records:)``.
package struct PoolState: Hashable, Sendable {
    /// The pool.
    package let poolID: PoolID
    /// The config from `pool_opened`; nil before the first record.
    package private(set) var config: PoolConfig?
    /// Whether `pool_created` was applied.
    package private(set) var created = false
    /// Current members by run id.
    package private(set) var members: [RunID: Member] = [:]
    /// Latest message + receipt by message id.
    package private(set) var messages: [MessageID: StoredMessage] = [:]
    /// Latest wake by condition id.
    package private(set) var wakes: [ConditionID: StoredWake] = [:]
    /// Message id by idempotency key (the dedupe index).
    package private(set) var messageIDsByKey: [IdempotencyKey: MessageID] = [:]
    /// Condition id by idempotency key (the dedupe index).
    package private(set) var conditionIDsByKey: [IdempotencyKey: ConditionID] = [:]
    /// The last applied seq; nil before the first record.
    package private(set) var cursor: Seq?

    /// The state of a pool with no record.
    package init(poolID: PoolID) { self.poolID = poolID }

    /// Replays `records` (in seq order, starting at 1, or at a `checkpoint` for a compacted log)
    /// from the empty state.
    ///
    /// - Throws: `corruptRecord` when the records are not a well-formed log of `poolID`.
    ///
    /// A compacted log — what a pool holds after `compact`, starting after seq 1 — is replayed
    /// from its first `checkpoint`: the records before it are already part of that checkpoint.
    package static func replay(poolID: PoolID, records: some Sequence<PoolRecord>) throws(AgentPoolError) -> PoolState {
        var state = PoolState(poolID: poolID)
        var skipping: Bool?
        for record in records {
            if skipping == nil { skipping = record.seq > 1 }
            if skipping == true {
                guard record.kind == .checkpoint else { continue }
                skipping = false
            }
            try state.apply(record)
        }
        if skipping == true {
            throw .corruptRecord("pool '\(poolID)': the log starts after seq 1 and holds no checkpoint")
        }
        return state
    }

    /// Returns the state after `record`.
    package func applying(_ record: PoolRecord) throws(AgentPoolError) -> PoolState {
        var next = self
        try next.apply(record)
        return next
    }

    /// Applies `record`; on error the state is unchanged.
    ///
    /// - Throws: `corruptRecord` when the record belongs to another pool, its seq is not the next
    ///   one, the first record is not `pool_opened`, or `pool_opened` repeats.
    package mutating func apply(_ record: PoolRecord) throws(AgentPoolError) {
        guard record.poolID == poolID else {
            throw .corruptRecord("record of pool '\(record.poolID)' applied to pool '\(poolID)'")
        }
        let expected = (cursor ?? 0) + 1
        if case .checkpoint(let snapshot) = record.payload {
            // A compacted log starts at its checkpoint; a full log holds it at its place.
            guard record.seq == expected || cursor == nil else {
                throw .corruptRecord("pool '\(poolID)': expected seq \(expected), got \(record.seq)")
            }
            try restore(snapshot, at: record.seq)
            return
        }
        guard record.seq == expected else {
            throw .corruptRecord("pool '\(poolID)': expected seq \(expected), got \(record.seq)")
        }
        switch record.payload {
        case .poolOpened(let config):
            guard self.config == nil else { throw .corruptRecord("pool '\(poolID)': pool_opened repeated at seq \(record.seq)") }
            self.config = config
        case _ where config == nil:
            throw .corruptRecord("pool '\(poolID)': first record is \(record.kind.rawValue), not pool_opened")
        case .poolCreated:
            created = true
        case .memberJoined(let member):
            members[member.runID] = member
        case .memberLeft(let member, _):
            members[member.runID] = nil
        case .runMessage(let stored):
            messages[stored.message.messageID] = stored
            messageIDsByKey[stored.message.idempotencyKey] = stored.message.messageID
        case .wake(let stored):
            wakes[stored.condition.conditionID] = stored
            conditionIDsByKey[stored.condition.idempotencyKey] = stored.condition.conditionID
        case .checkpoint:
            break  // handled above
        }
        cursor = record.seq
    }

    /// Replaces the state with a checkpoint's snapshot taken at `seq`.
    private mutating func restore(_ snapshot: Snapshot, at seq: Seq) throws(AgentPoolError) {
        guard snapshot.poolID == poolID, snapshot.cursor == seq else {
            throw .corruptRecord("pool '\(poolID)': checkpoint at seq \(seq) holds the snapshot of pool '\(snapshot.poolID)' at \(snapshot.cursor.map(String.init) ?? "nil")")
        }
        var state = PoolState(poolID: poolID)
        state.config = snapshot.config
        state.created = snapshot.created
        for member in snapshot.members { state.members[member.runID] = member }
        for stored in snapshot.messages {
            state.messages[stored.message.messageID] = stored
            state.messageIDsByKey[stored.message.idempotencyKey] = stored.message.messageID
        }
        for stored in snapshot.wakes {
            state.wakes[stored.condition.conditionID] = stored
            state.conditionIDsByKey[stored.condition.idempotencyKey] = stored.condition.conditionID
        }
        state.cursor = seq
        self = state
    }

    /// The snapshot of this state.
    ///
    /// - Throws: `poolNotFound` when no `pool_opened` was applied.
    package func snapshot() throws(AgentPoolError) -> Snapshot {
        guard let config else { throw .poolNotFound(poolID) }
        let sortedMembers = members.values.sorted { idPrecedes($0.runID, $1.runID) }
        return Snapshot(
            poolID: poolID,
            created: created,
            members: sortedMembers,
            topics: sortedMembers.flatMap(\.topics).normalizedIDs(),
            config: config,
            messages: messages.values.sorted { idPrecedes($0.message.messageID, $1.message.messageID) },
            wakes: wakes.values.sorted { idPrecedes($0.condition.conditionID, $1.condition.conditionID) },
            cursor: cursor)
    }
}
