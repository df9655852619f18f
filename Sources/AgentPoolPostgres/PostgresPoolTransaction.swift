import AgentPool
import PostgresNIO

/// One pool seen through an open PostgreSQL transaction: reads go to the projections;
/// ``append(_:recordedAt:)`` writes the log row and the projection rows together.
///
/// A write transaction locks the pool's row `FOR UPDATE` before anything else (see
/// ``lockPool(_:_:)``): every later statement of the transaction sees all that earlier writers
/// of the pool committed, and no other writer of the pool can commit until this one ends, so
/// read-check-append bodies are atomic and seqs gapless across every client.
final class PostgresPoolTransaction: PoolWriter {
    let poolID: PoolID
    let now: Millis
    private let session: PostgresSession
    private var pool: LoadedPool??
    private var cursorChanged = false
    /// Whether ``dropPool()`` ran: the commit must notify watchers although nothing was appended.
    private var dropped = false
    /// How many records this transaction appended (for metrics).
    private(set) var appendedCount = 0
    /// Message statuses this transaction wrote, so that the inbox rule need not read them back.
    private var writtenStatuses: [MessageID: MessageStatus] = [:]

    /// The pools row as this transaction sees it.
    struct LoadedPool {
        var rowID: Int64
        var info: PoolInfo
    }

    /// - Parameter pool: the pool's row when the caller already read it (a write's lock), nil
    ///   to read it on first use.
    init(session: PostgresSession, poolID: PoolID, now: Millis, pool: LoadedPool?? = nil) {
        self.session = session
        self.poolID = poolID
        self.now = now
        self.pool = pool
    }

    // MARK: The pool row

    private static let selectPool =
        "SELECT id, config, created, last_seq, compacted_through, checkpoint_seq FROM pools WHERE pool_id = $1"

    private static func decodePool(_ rows: [PostgresRow], poolID: PoolID) throws -> LoadedPool? {
        guard let row = rows.first else { return nil }
        let (id, config, created, lastSeq, compactedThrough, checkpoint) = try decoding {
            try row.decode((Int64, String, Bool, Int64, Int64, Int64?).self)
        }
        let decoded = try RecordCodec.decodeJSON(PoolConfig.self, from: config, what: "config of pool '\(poolID)'")
        return LoadedPool(rowID: id, info: PoolInfo(config: decoded, created: created, cursor: lastSeq,
                                                    compactedThrough: compactedThrough, checkpoint: checkpoint))
    }

    /// Locks `poolID`'s row for the rest of the write transaction and returns it; nil when the
    /// pool does not exist, in which case an advisory lock on the pool's name is held instead,
    /// so that two clients opening the same new pool at once take turns (the second then sees
    /// the first's row).
    static func lockPool(_ session: PostgresSession, _ poolID: PoolID) throws -> LoadedPool? {
        if let pool = try decodePool(session.query(selectPool + " FOR UPDATE", [poolID]), poolID: poolID) { return pool }
        try session.query("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                          [PostgresSchema.advisoryNamespace, "\(session.location.schema).\(poolID)"])
        return try decodePool(session.query(selectPool + " FOR UPDATE", [poolID]), poolID: poolID)
    }

    private func loadedPool() throws -> LoadedPool? {
        if let pool { return pool }
        let loaded = try Self.decodePool(session.query(Self.selectPool, [poolID]), poolID: poolID)
        pool = .some(loaded)
        return loaded
    }

    private var rowID: Int64? { get throws { try loadedPool()?.rowID } }

    // MARK: Reads

    func info() throws -> PoolInfo? { try loadedPool()?.info }

    /// Decodes the one JSON column of every row `sql` returns for this pool (`$1`: the pool row).
    private func fetch<T: Decodable>(_ type: T.Type, _ sql: String, _ values: [SQLValue] = [], what: String) throws -> [T] {
        guard let rowID = try rowID else { return [] }
        return try session.query(sql, [rowID] + values).map { row in
            let json = try Self.decoding { try row.decode(String.self) }
            return try RecordCodec.decodeJSON(type, from: json, what: "\(what) of pool '\(poolID)'")
        }
    }

    /// The rows `sql` returns for this pool (`$1`: the pool row); none when the pool does not exist.
    private func rows(_ sql: String, _ values: [SQLValue] = []) throws -> [PostgresRow] {
        guard let rowID = try rowID else { return [] }
        return try session.query(sql, [rowID] + values)
    }

    func member(_ run: RunID) throws -> Member? {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = $1 AND run_id = $2", [run], what: "member").first
    }

    func isMember(_ run: RunID) throws -> Bool {
        try !rows("SELECT 1 FROM members WHERE pool = $1 AND run_id = $2", [run]).isEmpty
    }

    func members() throws -> [Member] {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = $1 ORDER BY run_id", what: "member")
    }

    func members(ofAgent agent: AgentID) throws -> [Member] {
        try fetch(Member.self, "SELECT member FROM members WHERE pool = $1 AND agent_id = $2 ORDER BY run_id", [agent], what: "member")
    }

    func members(inTopic topic: TopicID) throws -> [Member] {
        try fetch(Member.self, """
            SELECT m.member FROM member_topics t JOIN members m ON m.pool = t.pool AND m.run_id = t.run_id
            WHERE t.pool = $1 AND t.topic = $2 ORDER BY t.run_id
            """, [topic], what: "member")
    }

    func topics() throws -> [TopicID] {
        try rows("SELECT DISTINCT topic FROM member_topics WHERE pool = $1 ORDER BY topic").map { row in
            try Self.decoding { try row.decode(String.self) }
        }
    }

    func message(_ id: MessageID) throws -> StoredMessage? {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = $1 AND message_id = $2", [id], what: "message").first
    }

    func message(forKey key: IdempotencyKey) throws -> StoredMessage? {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = $1 AND idempotency_key = $2", [key], what: "message").first
    }

    func messages() throws -> [StoredMessage] {
        try fetch(StoredMessage.self, "SELECT stored FROM messages WHERE pool = $1 ORDER BY message_id", what: "message")
    }

    func wake(_ id: ConditionID) throws -> StoredWake? {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = $1 AND condition_id = $2", [id], what: "wake").first
    }

    func wake(forKey key: IdempotencyKey) throws -> StoredWake? {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = $1 AND idempotency_key = $2", [key], what: "wake").first
    }

    func wakes() throws -> [StoredWake] {
        try fetch(StoredWake.self, "SELECT stored FROM wakes WHERE pool = $1 ORDER BY condition_id", what: "wake")
    }

    func registeredWakes() throws -> [StoredWake] {
        try fetch(StoredWake.self,
                  "SELECT stored FROM wakes WHERE pool = $1 AND status = 'registered' ORDER BY condition_id", what: "wake")
    }

    func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] {
        try fetch(StoredMessage.self, """
            SELECT stored FROM messages WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2
            ORDER BY deadline, message_id LIMIT $3
            """, [now, Int64(limit)], what: "message")
    }

    func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] {
        try fetch(StoredWake.self, """
            SELECT stored FROM wakes WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2
            ORDER BY deadline, condition_id LIMIT $3
            """, [now, Int64(limit)], what: "wake")
    }

    func hasDue(at now: Millis) throws -> Bool {
        guard let row = try rows("""
            SELECT EXISTS (SELECT 1 FROM wakes WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2)
                OR EXISTS (SELECT 1 FROM messages WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2)
                OR EXISTS (SELECT 1 FROM leases WHERE pool = $1 AND expires_at <= $2)
                OR EXISTS (SELECT 1 FROM claims WHERE pool = $1 AND status = 'held' AND expires_at <= $2)
            """, [now]).first else { return false }
        return try Self.decoding { try row.decode(Bool.self) }
    }

    func records(after: Seq, limit: Int) throws -> [PoolRecord] {
        try info()?.checkNotCompacted(after: after, pool: poolID)
        return try rows("SELECT seq, kind, payload, recorded_at FROM records WHERE pool = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                 [after, Int64(limit)]).map { row in
            let (seq, kind, payload, recordedAt) = try Self.decoding { try row.decode((Int64, String, String, Int64).self) }
            return PoolRecord(poolID: poolID, seq: seq, recordedAt: recordedAt,
                              payload: try RecordCodec.decode(kind: kind, payload: payload, pool: poolID, seq: seq))
        }
    }

    func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry] {
        try rows("SELECT seq, message_id FROM inbox WHERE pool = $1 AND run_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
                 [run, after, Int64(limit)]).map { row in
            let (seq, id) = try Self.decoding { try row.decode((Int64, String).self) }
            return InboxEntry(seq: seq, messageID: id)
        }
    }

    func consumer(_ name: String) throws -> ConsumerCursor? {
        try rows("SELECT name, cursor, updated_at FROM consumers WHERE pool = $1 AND name = $2", [name]).first.map(Self.consumer)
    }

    func consumers() throws -> [ConsumerCursor] {
        try rows("SELECT name, cursor, updated_at FROM consumers WHERE pool = $1 ORDER BY name").map(Self.consumer)
    }

    private static func consumer(_ row: PostgresRow) throws -> ConsumerCursor {
        let (name, cursor, updatedAt) = try decoding { try row.decode((String, Int64, Int64).self) }
        return ConsumerCursor(name: name, cursor: cursor, updatedAt: updatedAt)
    }

    func lease(_ run: RunID) throws -> MemberLease? {
        try rows("SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = $1 AND run_id = $2", [run]).first.map(Self.lease)
    }

    func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease] {
        try rows("""
            SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = $1 AND expires_at <= $2
            ORDER BY expires_at, run_id LIMIT $3
            """, [now, Int64(limit)]).map(Self.lease)
    }

    private static func lease(_ row: PostgresRow) throws -> MemberLease {
        let (run, millis, expiresAt) = try decoding { try row.decode((String, Int64, Int64).self) }
        return MemberLease(runID: run, leaseMillis: millis, expiresAt: expiresAt)
    }

    /// Runs a row decode; a value that does not decode is `corruptRecord`.
    private static func decoding<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresDecodingError {
            throw AgentPoolError.corruptRecord("column '\(error.columnName)' cannot be read as \(error.targetType): \(error.code)")
        }
    }

    // MARK: Claims

    private static let claimColumns = "message_id, status, run_id, token, lease_millis, expires_at, expired_count, max_attempts, resent_as"

    /// The claim columns of `row` (``claimColumns``, in order).
    private typealias ClaimRow = (String, String, String, Int64, Int64, Int64, Int32, Int32, String?)

    private static func claim(_ row: PostgresRow) throws -> MessageClaim {
        try claim(decoding { try row.decode(ClaimRow.self) })
    }

    private static func claim(_ columns: ClaimRow) throws -> MessageClaim {
        let (id, raw, run, token, lease, expiresAt, expired, maxAttempts, resentAs) = columns
        guard let status = ClaimStatus(rawValue: raw) else {
            throw AgentPoolError.corruptRecord("claim of message '\(id)' has unknown status '\(raw)'")
        }
        return MessageClaim(messageID: id, status: status, runID: run, token: token, leaseMillis: lease, expiresAt: expiresAt,
                            expiredCount: Int(expired), maxAttempts: Int(maxAttempts), resentAs: resentAs)
    }

    func claim(_ id: MessageID) throws -> MessageClaim? {
        try rows("SELECT \(Self.claimColumns) FROM claims WHERE pool = $1 AND message_id = $2", [id]).first.map(Self.claim)
    }

    func claimCandidates(at now: Millis, after: Seq, limit: Int) throws -> [ClaimCandidate] {
        try rows("""
            SELECT m.seq, m.stored, c.message_id, c.status, c.run_id, c.token, c.lease_millis, c.expires_at,
                   c.expired_count, c.max_attempts, c.resent_as
            FROM messages m LEFT JOIN claims c ON c.pool = m.pool AND c.message_id = m.message_id
            WHERE m.pool = $1 AND m.status = 'delivered' AND m.seq > $2
              AND (c.status IS NULL OR c.status <> 'held' OR c.expires_at <= $3)
            ORDER BY m.seq LIMIT $4
            """, [after, now, Int64(limit)]).map { row in
            let (seq, stored, claimed) = try Self.decoding { try row.decode((Int64, String, String?).self) }
            let message = try RecordCodec.decodeJSON(StoredMessage.self, from: stored, what: "message of pool '\(poolID)' at seq \(seq)")
            var claim: MessageClaim?
            if claimed != nil {
                let (_, _, id, raw, run, token, lease, expiresAt, expired, maxAttempts, resentAs) = try Self.decoding {
                    try row.decode((Int64, String, String, String, String, Int64, Int64, Int64, Int32, Int32, String?).self)
                }
                claim = try Self.claim((id, raw, run, token, lease, expiresAt, expired, maxAttempts, resentAs))
            }
            return ClaimCandidate(seq: seq, stored: message, claim: claim)
        }
    }

    func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] {
        try rows("""
            SELECT \(Self.claimColumns) FROM claims WHERE pool = $1 AND status = 'held' AND expires_at <= $2
            ORDER BY expires_at, message_id LIMIT $3
            """, [now, Int64(limit)]).map(Self.claim)
    }

    func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        if let run {
            return try rows("SELECT \(Self.claimColumns) FROM claims WHERE pool = $1 AND status = $2 AND run_id = $3 ORDER BY message_id",
                            [status.rawValue, run]).map(Self.claim)
        }
        return try rows("SELECT \(Self.claimColumns) FROM claims WHERE pool = $1 AND status = $2 ORDER BY message_id",
                        [status.rawValue]).map(Self.claim)
    }

    func saveClaim(_ claim: MessageClaim) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        try session.execute("""
            INSERT INTO claims (pool, \(Self.claimColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (pool, message_id) DO UPDATE SET
                status = excluded.status, run_id = excluded.run_id, token = excluded.token, lease_millis = excluded.lease_millis,
                expires_at = excluded.expires_at, expired_count = excluded.expired_count, max_attempts = excluded.max_attempts,
                resent_as = excluded.resent_as
            """, [rowID, claim.messageID, claim.status.rawValue, claim.runID, claim.token, claim.leaseMillis, claim.expiresAt,
                  Int32(claim.expiredCount), Int32(claim.maxAttempts), claim.resentAs])
    }

    // MARK: Retention

    func discardRecords(through: Seq) throws {
        guard var loaded = try loadedPool() else { throw AgentPoolError.poolNotFound(poolID) }
        guard through > loaded.info.compactedThrough else { return }
        try session.execute("DELETE FROM records WHERE pool = $1 AND seq <= $2", [loaded.rowID, through])
        try session.execute("UPDATE pools SET compacted_through = $1 WHERE id = $2", [through, loaded.rowID])
        loaded.info.compactedThrough = through
        pool = .some(loaded)
    }

    func dropPool() throws {
        guard let loaded = try loadedPool() else { return }
        for table in ["records", "members", "member_topics", "messages", "wakes", "consumers", "inbox", "leases", "claims"] {
            try session.execute("DELETE FROM \(table) WHERE pool = $1", [loaded.rowID])
        }
        try session.execute("DELETE FROM pools WHERE id = $1", [loaded.rowID])
        pool = .some(nil)
        cursorChanged = false
        dropped = true
    }

    // MARK: Writes

    func saveLease(_ lease: MemberLease) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        guard try isMember(lease.runID) else { throw AgentPoolError.notMember(lease.runID, pool: poolID) }
        try session.execute("""
            INSERT INTO leases (pool, run_id, lease_millis, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (pool, run_id) DO UPDATE SET lease_millis = excluded.lease_millis, expires_at = excluded.expires_at
            """, [rowID, lease.runID, lease.leaseMillis, lease.expiresAt])
    }

    func removeLease(_ run: RunID) throws {
        guard let rowID = try rowID else { return }
        try session.execute("DELETE FROM leases WHERE pool = $1 AND run_id = $2", [rowID, run])
    }

    func saveConsumer(_ name: String, cursor: Seq) throws {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        try session.execute("""
            INSERT INTO consumers (pool, name, cursor, updated_at) VALUES ($1, $2, $3, $4)
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
            let inserted = try session.query(
                "INSERT INTO pools (pool_id, config, created, last_seq) VALUES ($1, $2, false, 0) RETURNING id", [poolID, encoded.inner])
            guard let row = inserted.first else { throw AgentPoolError.make(.storage, "creating pool '\(poolID)' returned no row") }
            let id = try Self.decoding { try row.decode(Int64.self) }
            current = LoadedPool(rowID: id, info: PoolInfo(config: config, created: false, cursor: 0))
        } else {
            guard let loaded = try loadedPool() else { throw AgentPoolError.poolNotFound(poolID) }
            current = loaded
        }
        let pool = current.rowID
        let seq = current.info.cursor + 1
        // $1…$5 of every append: the log row. The hot kinds (messages, wakes) write it in the same
        // statement as their projection rows (one round trip to the server instead of two or three).
        let insertRecord = "INSERT INTO records (pool, seq, kind, payload, recorded_at) VALUES ($1, $2, $3, $4, $5)"
        let record: [SQLValue] = [pool, seq, encoded.kind.rawValue, encoded.payload, recordedAt]
        switch payload {
        case .runMessage(let stored):
            let id = stored.message.messageID
            var inboxRuns: [String] = []
            if stored.receipt.status == .delivered {
                // Inbox rows are written on the transition into `delivered` only.
                let previous = try writtenStatuses[id]?.rawValue ?? session.query(
                    "SELECT status FROM messages WHERE pool = $1 AND message_id = $2", [pool, id]).first.map { row in
                        try Self.decoding { try row.decode(String.self) }
                    }
                if previous != MessageStatus.delivered.rawValue { inboxRuns = Array(Set(stored.receipt.deliveredTo)) }
            }
            writtenStatuses[id] = stored.receipt.status
            try session.execute("""
                WITH record AS (\(insertRecord)),
                     delivery AS (INSERT INTO inbox (pool, run_id, seq, message_id) SELECT $1, r, $2, $6 FROM unnest($7::text[]) AS r)
                INSERT INTO messages (pool, message_id, idempotency_key, status, stored, seq, deadline)
                VALUES ($1, $6, $8, $9, $10, $2, $11)
                ON CONFLICT (pool, message_id) DO UPDATE SET
                    idempotency_key = excluded.idempotency_key, status = excluded.status, stored = excluded.stored,
                    seq = excluded.seq, deadline = excluded.deadline
                """, record + [id, inboxRuns, stored.message.idempotencyKey, stored.receipt.status.rawValue, encoded.inner, stored.deadline])
        case .wake(let stored):
            try session.execute("""
                WITH record AS (\(insertRecord))
                INSERT INTO wakes (pool, condition_id, idempotency_key, status, stored, seq, deadline)
                VALUES ($1, $6, $7, $8, $9, $2, $10)
                ON CONFLICT (pool, condition_id) DO UPDATE SET
                    idempotency_key = excluded.idempotency_key, status = excluded.status, stored = excluded.stored,
                    seq = excluded.seq, deadline = excluded.deadline
                """, record + [stored.condition.conditionID, stored.condition.idempotencyKey,
                               stored.registration.status.rawValue, encoded.inner, stored.deadline])
        case .poolOpened:
            try session.execute(insertRecord, record)
        case .checkpoint:
            try session.execute(insertRecord, record)
            try session.execute("UPDATE pools SET checkpoint_seq = $1 WHERE id = $2", [seq, pool])
            current.info.checkpoint = seq
        case .poolCreated:
            try session.execute(insertRecord, record)
            try session.execute("UPDATE pools SET created = true WHERE id = $1", [pool])
            current.info.created = true
        case .memberJoined(let member):
            try session.execute(insertRecord, record)
            try session.execute("""
                INSERT INTO members (pool, run_id, agent_id, member) VALUES ($1, $2, $3, $4)
                ON CONFLICT (pool, run_id) DO UPDATE SET agent_id = excluded.agent_id, member = excluded.member
                """, [pool, member.runID, member.agentID, encoded.inner])
            try session.execute("DELETE FROM member_topics WHERE pool = $1 AND run_id = $2", [pool, member.runID])
            if !member.topics.isEmpty {
                try session.execute("INSERT INTO member_topics (pool, topic, run_id) SELECT $1, t, $3 FROM unnest($2::text[]) AS t",
                                    [pool, Array(Set(member.topics)), member.runID])
            }
        case .memberLeft(let member, _):
            try session.execute(insertRecord, record)
            try session.execute("DELETE FROM members WHERE pool = $1 AND run_id = $2", [pool, member.runID])
            try session.execute("DELETE FROM leases WHERE pool = $1 AND run_id = $2", [pool, member.runID])
            try session.execute("DELETE FROM member_topics WHERE pool = $1 AND run_id = $2", [pool, member.runID])
        }
        current.info.cursor = seq
        self.pool = .some(current)
        cursorChanged = true
        appendedCount += 1
        return PoolRecord(poolID: poolID, seq: seq, recordedAt: recordedAt, payload: payload)
    }

    /// Writes the pool's cursor once for the whole transaction and queues the change
    /// notification (`NOTIFY channel, 'pool:seq'`, delivered by PostgreSQL only if the
    /// transaction commits); called before COMMIT. Returns whether anything was appended.
    func finish(channel: String) throws -> Bool {
        if dropped {
            try session.execute("SELECT pg_notify($1, $2)", [channel, "\(poolID):0"])
            return true
        }
        guard cursorChanged, let loaded = try loadedPool() else { return false }
        try session.execute("""
            WITH updated AS (UPDATE pools SET last_seq = $1 WHERE id = $2 RETURNING last_seq)
            SELECT pg_notify($3, $4) FROM updated
            """, [loaded.info.cursor, loaded.rowID, channel, "\(poolID):\(loaded.info.cursor)"])
        return true
    }
}
