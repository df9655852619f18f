import AgentPool
import GRDB

/// One pool seen through an open SQLite transaction: reads go to the projections through cached
/// statements; ``append(_:)`` writes the log row and the projection rows together.
final class SQLitePoolTransaction: PoolWriter {
    let poolID: PoolID
    let now: Millis
    private let db: Database
    private var pool: LoadedPool??
    private var cursorChanged = false
    /// How many records this transaction appended (for metrics).
    private(set) var appendedCount = 0
    /// Whether ``dropPool()`` ran: the commit must notify watchers although no record was appended.
    private(set) var dropped = false
    /// Message statuses this transaction wrote, so that the inbox rule need not read them back.
    private var writtenStatuses: [MessageID: MessageStatus] = [:]

    /// The pools row as this transaction sees it.
    private struct LoadedPool {
        var rowID: Int64
        var info: PoolInfo
    }

    private let configs: ConfigCache

    init(db: Database, poolID: PoolID, now: Millis, configs: ConfigCache) {
        self.db = db
        self.configs = configs
        self.poolID = poolID
        self.now = now
    }

    // MARK: Reads

    private func loadedPool() throws -> LoadedPool? {
        if let pool { return pool }
        // The cursor is the log's last seq, read from its primary key: not stored a second time,
        // so that a write dirties one page fewer (BENCHMARKS.md).
        let statement = try db.cachedStatement(sql: """
            SELECT id, config, created, compacted_through, checkpoint_seq,
                   (SELECT seq FROM records r WHERE r.pool = pools.id ORDER BY seq DESC LIMIT 1)
            FROM pools WHERE pool_id = ?
            """)
        var loaded: LoadedPool?
        if let row = try Row.fetchOne(statement, arguments: [poolID]) {
            let config = try configs.config(row[1], pool: poolID)
            let compactedThrough: Seq = row[3]
            loaded = LoadedPool(rowID: row[0], info: PoolInfo(
                config: config, created: row[2], cursor: max(row[5] ?? 0, compactedThrough),
                compactedThrough: compactedThrough, checkpoint: row[4]))
        }
        pool = .some(loaded)
        return loaded
    }

    private var rowID: Int64? { get throws { try loadedPool()?.rowID } }

    func info() throws -> PoolInfo? { try loadedPool()?.info }

    /// Decodes the JSON column of every row `sql` returns for this pool (first argument: pool row).
    private func fetch<T: Decodable>(_ type: T.Type, _ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = [], what: String) throws -> [T] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: sql)
        return try String.fetchAll(statement, arguments: StatementArguments([rowID] + arguments)).map {
            try RecordCodec.decodeJSON(type, from: $0, what: "\(what) of pool '\(poolID)'")
        }
    }

    func member(_ run: RunID) throws -> Member? {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = ? AND run_id = ?", [run], what: "member").first
    }

    func isMember(_ run: RunID) throws -> Bool {
        guard let rowID = try rowID else { return false }
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM members WHERE pool = ? AND run_id = ?")
        return try Int.fetchOne(statement, arguments: [rowID, run]) != nil
    }

    func members() throws -> [Member] {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = ? ORDER BY run_id", what: "member")
    }

    func members(ofAgent agent: AgentID) throws -> [Member] {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = ? AND agent_id = ? ORDER BY run_id", [agent], what: "member")
    }

    func members(inTopic topic: TopicID) throws -> [Member] {
        try fetch(Member.self, """
            SELECT m.member FROM member_topics t JOIN members m ON m.pool = t.pool AND m.run_id = t.run_id
            WHERE t.pool = ? AND t.topic = ? ORDER BY t.run_id
            """, [topic], what: "member")
    }

    func topics() throws -> [TopicID] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT DISTINCT topic FROM member_topics WHERE pool = ? ORDER BY topic")
        return try String.fetchAll(statement, arguments: [rowID])
    }

    func message(_ id: MessageID) throws -> StoredMessage? {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = ? AND message_id = ?", [id], what: "message").first
    }

    func message(forKey key: IdempotencyKey) throws -> StoredMessage? {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = ? AND idempotency_key = ?", [key], what: "message").first
    }

    func messages() throws -> [StoredMessage] {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = ? ORDER BY message_id", what: "message")
    }

    func wake(_ id: ConditionID) throws -> StoredWake? {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = ? AND condition_id = ?", [id], what: "wake").first
    }

    func wake(forKey key: IdempotencyKey) throws -> StoredWake? {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = ? AND idempotency_key = ?", [key], what: "wake").first
    }

    func wakes() throws -> [StoredWake] {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = ? ORDER BY condition_id", what: "wake")
    }

    func registeredWakes() throws -> [StoredWake] {
        try fetch(StoredWake.self,
                  "SELECT stored FROM wakes WHERE pool = ? AND status = 'registered' ORDER BY condition_id", what: "wake")
    }

    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] {
        try fetch(StoredMessage.self, """
            SELECT stored FROM messages WHERE pool = ? AND deadline IS NOT NULL AND deadline <= ? ORDER BY deadline, message_id LIMIT ?
            """, [now, limit], what: "message")
    }

    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] {
        try fetch(StoredWake.self, """
            SELECT stored FROM wakes WHERE pool = ? AND deadline IS NOT NULL AND deadline <= ? ORDER BY deadline, condition_id LIMIT ?
            """, [now, limit], what: "wake")
    }

    func hasDue(at now: Millis) throws -> Bool {
        guard let rowID = try rowID else { return false }
        let statement = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM wakes WHERE pool = ?1 AND deadline IS NOT NULL AND deadline <= ?2)
                OR EXISTS (SELECT 1 FROM messages WHERE pool = ?1 AND deadline IS NOT NULL AND deadline <= ?2)
                OR EXISTS (SELECT 1 FROM leases WHERE pool = ?1 AND expires_at <= ?2)
                OR EXISTS (SELECT 1 FROM claims WHERE pool = ?1 AND status = 'held' AND expires_at <= ?2)
            """)
        return try Bool.fetchOne(statement, arguments: [rowID, now]) ?? false
    }

    func records(after: Seq, limit: Int) throws -> [PoolRecord] {
        guard let loaded = try loadedPool() else { return [] }
        try loaded.info.checkNotCompacted(after: after, pool: poolID)
        let rowID = loaded.rowID
        let statement = try db.cachedStatement(sql: """
            SELECT seq, kind, payload, recorded_at FROM records WHERE pool = ? AND seq > ? ORDER BY seq LIMIT ?
            """)
        return try Row.fetchAll(statement, arguments: [rowID, after, limit]).map { row in
            let seq: Seq = row[0]
            let payload = try RecordCodec.decode(kind: row[1], payload: row[2], pool: poolID, seq: seq)
            return PoolRecord(poolID: poolID, seq: seq, recordedAt: row[3], payload: payload)
        }
    }

    func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: """
            SELECT seq, message_id FROM inbox WHERE pool = ? AND run_id = ? AND seq > ? ORDER BY seq LIMIT ?
            """)
        return try Row.fetchAll(statement, arguments: [rowID, run, after, limit]).map {
            InboxEntry(seq: $0[0], messageID: $0[1])
        }
    }

    func consumer(_ name: String) throws -> ConsumerCursor? {
        guard let rowID = try rowID else { return nil }
        let statement = try db.cachedStatement(sql: "SELECT name, cursor, updated_at FROM consumers WHERE pool = ? AND name = ?")
        return try Row.fetchOne(statement, arguments: [rowID, name]).map { ConsumerCursor(name: $0[0], cursor: $0[1], updatedAt: $0[2]) }
    }

    func consumers() throws -> [ConsumerCursor] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT name, cursor, updated_at FROM consumers WHERE pool = ? ORDER BY name")
        return try Row.fetchAll(statement, arguments: [rowID]).map { ConsumerCursor(name: $0[0], cursor: $0[1], updatedAt: $0[2]) }
    }

    func lease(_ run: RunID) throws -> MemberLease? {
        guard let rowID = try rowID else { return nil }
        let statement = try db.cachedStatement(sql: "SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = ? AND run_id = ?")
        return try Row.fetchOne(statement, arguments: [rowID, run]).map { MemberLease(runID: $0[0], leaseMillis: $0[1], expiresAt: $0[2]) }
    }

    func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: """
            SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = ? AND expires_at <= ? ORDER BY expires_at, run_id LIMIT ?
            """)
        return try Row.fetchAll(statement, arguments: [rowID, now, limit]).map { MemberLease(runID: $0[0], leaseMillis: $0[1], expiresAt: $0[2]) }
    }

    // MARK: Claims

    private static let claimColumns = "message_id, status, run_id, token, lease_millis, expires_at, expired_count, max_attempts, resent_as"

    private func claim(from row: Row, at offset: Int = 0) throws -> MessageClaim {
        let raw: String = row[offset + 1]
        guard let status = ClaimStatus(rawValue: raw) else {
            throw AgentPoolError.corruptRecord("claim of message '\(row[offset] as String)' in pool '\(poolID)' has unknown status '\(raw)'")
        }
        return MessageClaim(messageID: row[offset], status: status, runID: row[offset + 2], token: row[offset + 3],
                            leaseMillis: row[offset + 4], expiresAt: row[offset + 5], expiredCount: row[offset + 6],
                            maxAttempts: row[offset + 7], resentAs: row[offset + 8])
    }

    private func fetchClaims(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?]) throws -> [MessageClaim] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: StatementArguments([rowID] + arguments)).map { try claim(from: $0) }
    }

    func claim(_ id: MessageID) throws -> MessageClaim? {
        try fetchClaims("SELECT \(Self.claimColumns) FROM claims WHERE pool = ? AND message_id = ?", [id]).first
    }

    func claimCandidates(at now: Millis, after: Seq, limit: Int) throws -> [ClaimCandidate] {
        guard let rowID = try rowID else { return [] }
        let statement = try db.cachedStatement(sql: """
            SELECT m.seq, m.stored, c.message_id, c.status, c.run_id, c.token, c.lease_millis, c.expires_at,
                   c.expired_count, c.max_attempts, c.resent_as
            FROM messages m LEFT JOIN claims c ON c.pool = m.pool AND c.message_id = m.message_id
            WHERE m.pool = ?1 AND m.status = 'delivered' AND m.seq > ?2
              AND (c.status IS NULL OR c.status <> 'held' OR c.expires_at <= ?3)
            ORDER BY m.seq LIMIT ?4
            """)
        return try Row.fetchAll(statement, arguments: [rowID, after, now, limit]).map { row in
            let seq: Seq = row[0]
            let stored = try RecordCodec.decodeJSON(StoredMessage.self, from: row[1], what: "message of pool '\(poolID)' at seq \(seq)")
            let claimed = (row[2] as String?) != nil
            return ClaimCandidate(seq: seq, stored: stored, claim: claimed ? try claim(from: row, at: 2) : nil)
        }
    }

    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] {
        try fetchClaims("""
            SELECT \(Self.claimColumns) FROM claims WHERE pool = ? AND status = 'held' AND expires_at <= ?
            ORDER BY expires_at, message_id LIMIT ?
            """, [now, limit])
    }

    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        if let run {
            return try fetchClaims(
                "SELECT \(Self.claimColumns) FROM claims WHERE pool = ? AND status = ? AND run_id = ? ORDER BY message_id",
                [status.rawValue, run])
        }
        return try fetchClaims("SELECT \(Self.claimColumns) FROM claims WHERE pool = ? AND status = ? ORDER BY message_id",
                               [status.rawValue])
    }

    func saveClaim(_ claim: MessageClaim) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        try execute("""
            INSERT INTO claims (pool, \(Self.claimColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (pool, message_id) DO UPDATE SET
                status = excluded.status, run_id = excluded.run_id, token = excluded.token, lease_millis = excluded.lease_millis,
                expires_at = excluded.expires_at, expired_count = excluded.expired_count, max_attempts = excluded.max_attempts,
                resent_as = excluded.resent_as
            """, [rowID, claim.messageID, claim.status.rawValue, claim.runID, claim.token, claim.leaseMillis, claim.expiresAt,
                  claim.expiredCount, claim.maxAttempts, claim.resentAs])
    }

    // MARK: Retention

    func discardRecords(through: Seq) throws {
        guard var loaded = try loadedPool() else { throw AgentPoolError.poolNotFound(poolID) }
        guard through > loaded.info.compactedThrough else { return }
        try execute("DELETE FROM records WHERE pool = ? AND seq <= ?", [loaded.rowID, through])
        try execute("UPDATE pools SET compacted_through = ? WHERE id = ?", [through, loaded.rowID])
        loaded.info.compactedThrough = through
        pool = .some(loaded)
    }

    func dropPool() throws {
        guard let loaded = try loadedPool() else { return }
        for table in ["records", "members", "member_topics", "messages", "wakes", "consumers", "inbox", "leases", "claims"] {
            try execute("DELETE FROM \(table) WHERE pool = ?", [loaded.rowID])
        }
        try execute("DELETE FROM pools WHERE id = ?", [loaded.rowID])
        pool = .some(nil)
        cursorChanged = false
        dropped = true
    }

    // MARK: Writes

    func saveLease(_ lease: MemberLease) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        guard try isMember(lease.runID) else { throw AgentPoolError.notMember(lease.runID, pool: poolID) }
        try execute("""
            INSERT INTO leases (pool, run_id, lease_millis, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (pool, run_id) DO UPDATE SET lease_millis = excluded.lease_millis, expires_at = excluded.expires_at
            """, [rowID, lease.runID, lease.leaseMillis, lease.expiresAt])
    }

    func removeLease(_ run: RunID) throws {
        guard let rowID = try rowID else { return }
        try execute("DELETE FROM leases WHERE pool = ? AND run_id = ?", [rowID, run])
    }

    func saveConsumer(_ name: String, cursor: Seq) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        try execute("""
            INSERT INTO consumers (pool, name, cursor, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (pool, name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
            """, [rowID, name, cursor, now])
    }

    func append(_ payload: RecordPayload, recordedAt: Millis) throws -> PoolRecord {
        let encoded = try RecordCodec.encode(payload)
        var current: LoadedPool
        if case .poolOpened(let config) = payload {
            guard try loadedPool() == nil else {
                throw AgentPoolError.make(.invalidStateTransition, "pool '\(poolID)' is already opened")
            }
            try execute("INSERT INTO pools (pool_id, config, created, last_seq) VALUES (?, ?, 0, 0)", [poolID, encoded.inner])
            current = LoadedPool(rowID: db.lastInsertedRowID, info: PoolInfo(config: config, created: false, cursor: 0))
        } else {
            guard let loaded = try loadedPool() else { throw AgentPoolError.poolNotFound(poolID) }
            current = loaded
        }
        let pool = current.rowID
        let seq = current.info.cursor + 1
        try execute("INSERT INTO records (pool, seq, kind, payload, recorded_at) VALUES (?, ?, ?, ?, ?)",
                    [pool, seq, encoded.kind.rawValue, encoded.payload, recordedAt])
        switch payload {
        case .poolOpened:
            break
        case .poolCreated:
            try execute("UPDATE pools SET created = 1 WHERE id = ?", [pool])
            current.info.created = true
        case .memberJoined(let member):
            try execute("INSERT OR REPLACE INTO members (pool, run_id, agent_id, member) VALUES (?, ?, ?, ?)",
                        [pool, member.runID, member.agentID, encoded.inner])
            try execute("DELETE FROM member_topics WHERE pool = ? AND run_id = ?", [pool, member.runID])
            for topic in Set(member.topics) {
                try execute("INSERT INTO member_topics (pool, topic, run_id) VALUES (?, ?, ?)", [pool, topic, member.runID])
            }
        case .memberLeft(let member, _):
            try execute("DELETE FROM members WHERE pool = ? AND run_id = ?", [pool, member.runID])
            try execute("DELETE FROM leases WHERE pool = ? AND run_id = ?", [pool, member.runID])
            try execute("DELETE FROM member_topics WHERE pool = ? AND run_id = ?", [pool, member.runID])
        case .runMessage(let stored):
            let id = stored.message.messageID
            if stored.receipt.status == .delivered {
                // Inbox rows are written on the transition into `delivered` only.
                let previous = try writtenStatuses[id]?.rawValue ?? String.fetchOne(
                    db.cachedStatement(sql: "SELECT status FROM messages WHERE pool = ? AND message_id = ?"), arguments: [pool, id])
                if previous != MessageStatus.delivered.rawValue {
                    for run in Set(stored.receipt.deliveredTo) {
                        try execute("INSERT INTO inbox (pool, run_id, seq, message_id) VALUES (?, ?, ?, ?)", [pool, run, seq, id])
                    }
                }
            }
            writtenStatuses[id] = stored.receipt.status
            // The key is not in the update's SET list: a message id never changes its message
            // (appendMessage refuses that), and SQLite then leaves the key index alone.
            try execute("""
                INSERT INTO messages (pool, message_id, idempotency_key, status, stored, seq, deadline) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (pool, message_id) DO UPDATE SET
                    status = excluded.status, stored = excluded.stored, seq = excluded.seq, deadline = excluded.deadline
                """, [pool, id, stored.message.idempotencyKey, stored.receipt.status.rawValue, encoded.inner, seq, stored.deadline])
        case .checkpoint:
            try execute("UPDATE pools SET checkpoint_seq = ? WHERE id = ?", [seq, pool])
            current.info.checkpoint = seq
        case .wake(let stored):
            // As for messages, the key is not in the SET list: a condition id never changes its condition.
            try execute("""
                INSERT INTO wakes (pool, condition_id, idempotency_key, status, stored, seq, deadline) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (pool, condition_id) DO UPDATE SET
                    status = excluded.status, stored = excluded.stored, seq = excluded.seq, deadline = excluded.deadline
                """, [pool, stored.condition.conditionID, stored.condition.idempotencyKey,
                      stored.registration.status.rawValue, encoded.inner, seq, stored.deadline])
        }
        current.info.cursor = seq
        self.pool = .some(current)
        cursorChanged = true
        appendedCount += 1
        return PoolRecord(poolID: poolID, seq: seq, recordedAt: recordedAt, payload: payload)
    }

    /// Called before COMMIT. Returns whether anything was appended or dropped (watchers are told).
    func finish() throws -> Bool {
        dropped || cursorChanged
    }

    private func execute(_ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
