import AgentPool

/// The statement catalogue of the SQL backends: every statement of a pool transaction, written
/// once with `$n` parameters (`$1` is always the pool's row id) and translated to the dialect
/// when the catalogue is built.
package struct SQLStatements: Sendable {
    /// The columns of a claim row, in ``SQLPoolStorage``'s decoding order.
    static let claimColumns = "message_id, status, run_id, token, lease_millis, expires_at, expired_count, max_attempts, resent_as"

    package let selectPool: String
    package let insertPool: String
    package let member: String
    package let isMember: String
    package let members: String
    package let membersOfAgent: String
    package let membersInTopic: String
    package let topics: String
    package let message: String
    package let messageForKey: String
    package let messages: String
    package let wake: String
    package let wakeForKey: String
    package let wakes: String
    package let registeredWakes: String
    package let dueMessages: String
    package let dueWakes: String
    package let hasDue: String
    package let records: String
    package let inbox: String
    package let consumer: String
    package let consumers: String
    package let lease: String
    package let dueLeases: String
    package let claim: String
    package let claimCandidates: String
    package let dependents: String
    package let dueClaims: String
    package let nextRetry: String
    package let liveClaimCount: String
    package let claimsByStatus: String
    package let claimsByStatusAndRun: String

    package let insertRecord: String
    package let markCreated: String
    package let setCheckpoint: String
    package let upsertMember: String
    package let deleteMember: String
    package let deleteMemberTopics: String
    package let insertMemberTopic: String
    package let deleteLease: String
    package let upsertMessage: String
    package let insertInbox: String
    package let insertDependency: String
    package let enqueue: String
    package let enqueueAtRow: String
    package let dequeueAtRow: String
    package let deleteDependency: String
    package let upsertWake: String
    package let upsertConsumer: String
    package let upsertLease: String
    package let upsertClaim: String
    package let deleteRecordsThrough: String
    /// Run before ``deleteRecordsThrough`` when message rows take their JSON from the log.
    package let keepMessageBodiesThrough: String?
    package let setCompactedThrough: String
    /// One `DELETE … WHERE pool = $1` per table of the pool, the pools row last.
    package let dropPool: [String]

    /// The catalogue in `dialect`'s syntax.
    package init(_ dialect: SQLDialect) {
        let q = dialect.sql
        let claims = Self.claimColumns
        selectPool = q("""
            SELECT id, config, created, \(dialect.cursorColumn), compacted_through, checkpoint_seq, \(dialect.lastRecordedAtColumn)
            FROM pools WHERE pool_id = $1
            """)
        insertPool = q(dialect.insertPool)
        member = q("SELECT member FROM members WHERE pool = $1 AND run_id = $2")
        isMember = q("SELECT 1 FROM members WHERE pool = $1 AND run_id = $2")
        members = q("SELECT member FROM members WHERE pool = $1 ORDER BY run_id")
        membersOfAgent = q("SELECT member FROM members WHERE pool = $1 AND agent_id = $2 ORDER BY run_id")
        membersInTopic = q("""
            SELECT m.member FROM member_topics t JOIN members m ON m.pool = t.pool AND m.run_id = t.run_id
            WHERE t.pool = $1 AND t.topic = $2 ORDER BY t.run_id
            """)
        topics = q("SELECT DISTINCT topic FROM member_topics WHERE pool = $1 ORDER BY topic")
        let body = dialect.messageBodies.column
        message = q("SELECT \(body("m")) FROM messages m WHERE pool = $1 AND message_id = $2")
        messageForKey = q("SELECT \(body("m")) FROM messages m WHERE pool = $1 AND idempotency_key = $2")
        messages = q("SELECT \(body("m")) FROM messages m WHERE pool = $1 ORDER BY message_id")
        wake = q("SELECT stored FROM wakes WHERE pool = $1 AND condition_id = $2")
        wakeForKey = q("SELECT stored FROM wakes WHERE pool = $1 AND idempotency_key = $2")
        wakes = q("SELECT stored FROM wakes WHERE pool = $1 ORDER BY condition_id")
        registeredWakes = q("SELECT stored FROM wakes WHERE pool = $1 AND status = 'registered' ORDER BY condition_id")
        dueMessages = q("""
            SELECT \(body("m")) FROM messages m WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2
            ORDER BY deadline, message_id LIMIT $3
            """)
        dueWakes = q("""
            SELECT stored FROM wakes WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2
            ORDER BY deadline, condition_id LIMIT $3
            """)
        hasDue = q("""
            SELECT EXISTS (SELECT 1 FROM wakes WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2)
                OR EXISTS (SELECT 1 FROM messages WHERE pool = $1 AND deadline IS NOT NULL AND deadline <= $2)
                OR EXISTS (SELECT 1 FROM leases WHERE pool = $1 AND expires_at <= $2)
                OR EXISTS (SELECT 1 FROM claims WHERE pool = $1 AND status = 'held' AND expires_at <= $2)
            """)
        records = q(dialect.log.readAfter)
        inbox = q("SELECT seq, message_id FROM inbox WHERE pool = $1 AND run_id = $2 AND seq > $3 ORDER BY seq LIMIT $4")
        consumer = q("SELECT name, cursor, updated_at FROM consumers WHERE pool = $1 AND name = $2")
        consumers = q("SELECT name, cursor, updated_at FROM consumers WHERE pool = $1 ORDER BY name")
        lease = q("SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = $1 AND run_id = $2")
        dueLeases = q("""
            SELECT run_id, lease_millis, expires_at FROM leases WHERE pool = $1 AND expires_at <= $2
            ORDER BY expires_at, run_id LIMIT $3
            """)
        claim = q("SELECT \(claims) FROM claims WHERE pool = $1 AND message_id = $2")
        claimCandidates = q("""
            SELECT q.seq, \(body("m")), c.message_id, c.status, c.run_id, c.token, c.lease_millis, c.expires_at,
                   c.expired_count, c.max_attempts, c.resent_as
            FROM claim_queue q JOIN messages m ON m.pool = q.pool AND m.message_id = q.message_id
            LEFT JOIN claims c ON c.pool = q.pool AND c.message_id = q.message_id
            WHERE q.pool = $1 AND q.claimable_by = $2 AND (q.rank, q.seq) > ($3, $4)
              AND (c.status IS NULL OR c.status NOT IN ('held', 'open') OR c.expires_at <= $5)
            ORDER BY q.rank, q.seq LIMIT $6
            """)
        dependents = q("""
            SELECT \(body("m")) FROM message_dependencies d JOIN messages m ON m.pool = d.pool AND m.message_id = d.message_id
            WHERE d.pool = $1 AND d.dependency = $2 AND m.status = 'accepted' ORDER BY d.message_id
            """)
        dueClaims = q("""
            SELECT \(claims) FROM claims WHERE pool = $1 AND status = 'held' AND expires_at <= $2
            ORDER BY expires_at, message_id LIMIT $3
            """)
        nextRetry = q("""
            SELECT expires_at FROM claims WHERE pool = $1 AND status = 'open' AND expires_at > $2 ORDER BY expires_at LIMIT 1
            """)
        liveClaimCount = q("SELECT count(*) FROM claims WHERE pool = $1 AND target = $2 AND status = 'held' AND expires_at > $3")
        claimsByStatus = q("SELECT \(claims) FROM claims WHERE pool = $1 AND status = $2 ORDER BY message_id")
        claimsByStatusAndRun = q("SELECT \(claims) FROM claims WHERE pool = $1 AND status = $2 AND run_id = $3 ORDER BY message_id")

        insertRecord = q(dialect.log.insert)
        markCreated = q("UPDATE pools SET created = TRUE WHERE id = $1")
        setCheckpoint = q("UPDATE pools SET checkpoint_seq = $2 WHERE id = $1")
        upsertMember = q("""
            INSERT INTO members (pool, run_id, agent_id, member) VALUES ($1, $2, $3, $4)
            ON CONFLICT (pool, run_id) DO UPDATE SET agent_id = excluded.agent_id, member = excluded.member
            """)
        deleteMember = q("DELETE FROM members WHERE pool = $1 AND run_id = $2")
        deleteMemberTopics = q("DELETE FROM member_topics WHERE pool = $1 AND run_id = $2")
        insertMemberTopic = q("INSERT INTO member_topics (pool, run_id, topic) VALUES ($1, $2, $3)")
        deleteLease = q("DELETE FROM leases WHERE pool = $1 AND run_id = $2")
        upsertMessage = q(Self.upsertMessageSQL(id: "$2", key: "$3", status: "$4", stored: "$5", seq: "$6", deadline: "$7", rank: "$8"))
        insertInbox = q("INSERT INTO inbox (pool, run_id, seq, message_id) VALUES ($1, $2, $3, $4)")
        insertDependency = q("""
            INSERT INTO message_dependencies (pool, dependency, message_id) VALUES ($1, $2, $3)
            ON CONFLICT (pool, dependency, message_id) DO NOTHING
            """)
        enqueue = q("""
            INSERT INTO claim_queue (pool, claimable_by, rank, seq, message_id) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (pool, claimable_by, rank, seq) DO NOTHING
            """)
        enqueueAtRow = q("""
            INSERT INTO claim_queue (pool, claimable_by, rank, seq, message_id)
            SELECT pool, $2, rank, seq, message_id FROM messages WHERE pool = $1 AND message_id = $3
            ON CONFLICT (pool, claimable_by, rank, seq) DO NOTHING
            """)
        dequeueAtRow = q("""
            DELETE FROM claim_queue WHERE pool = $1 AND claimable_by = $2
              AND rank = (SELECT rank FROM messages WHERE pool = $1 AND message_id = $3)
              AND seq = (SELECT seq FROM messages WHERE pool = $1 AND message_id = $3)
            """)
        deleteDependency = q("DELETE FROM message_dependencies WHERE pool = $1 AND dependency = $2 AND message_id = $3")
        upsertWake = q(Self.upsertWakeSQL(id: "$2", key: "$3", status: "$4", stored: "$5", seq: "$6", deadline: "$7"))
        upsertConsumer = q("""
            INSERT INTO consumers (pool, name, cursor, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (pool, name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
            """)
        upsertLease = q("""
            INSERT INTO leases (pool, run_id, lease_millis, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (pool, run_id) DO UPDATE SET lease_millis = excluded.lease_millis, expires_at = excluded.expires_at
            """)
        upsertClaim = q("""
            INSERT INTO claims (pool, \(claims), target) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (pool, message_id) DO UPDATE SET target = excluded.target,
                status = excluded.status, run_id = excluded.run_id, token = excluded.token, lease_millis = excluded.lease_millis,
                expires_at = excluded.expires_at, expired_count = excluded.expired_count, max_attempts = excluded.max_attempts,
                resent_as = excluded.resent_as
            """)
        deleteRecordsThrough = q(dialect.log.deleteThrough)
        keepMessageBodiesThrough = dialect.messageBodies.keepThrough.map(q)
        setCompactedThrough = q("UPDATE pools SET compacted_through = $2 WHERE id = $1")
        dropPool = [q(dialect.log.deleteAll)] + ["members", "member_topics", "messages", "wakes", "consumers", "inbox", "leases", "claims",
                    "message_dependencies", "claim_queue"]
            .map { q("DELETE FROM \($0) WHERE pool = $1") } + [q("DELETE FROM pools WHERE id = $1")]
    }

    /// The log row of a log keyed by (pool, seq) (`$1` pool, `$2` seq, `$3` kind, `$4` payload,
    /// `$5` recorded_at).
    package static let insertRecordSQL = "INSERT INTO records (pool, seq, kind, payload, recorded_at) VALUES ($1, $2, $3, $4, $5)"

    /// The message upsert with its parameters named by the caller (`$1` is the pool). The key and
    /// the rank are not in the update's SET list: a message id never changes its message (the
    /// core refuses that), so the key index is left alone.
    package static func upsertMessageSQL(id: String, key: String, status: String, stored: String, seq: String, deadline: String,
                                         rank: String) -> String {
        """
        INSERT INTO messages (pool, message_id, idempotency_key, status, stored, seq, deadline, rank)
        VALUES ($1, \(id), \(key), \(status), \(stored), \(seq), \(deadline), \(rank))
        ON CONFLICT (pool, message_id) DO UPDATE SET
            status = excluded.status, stored = excluded.stored, seq = excluded.seq, deadline = excluded.deadline
        """
    }

    /// The wake upsert, as ``upsertMessageSQL(id:key:status:stored:seq:deadline:rank:)`` (a condition
    /// id never changes its condition either).
    package static func upsertWakeSQL(id: String, key: String, status: String, stored: String, seq: String, deadline: String) -> String {
        """
        INSERT INTO wakes (pool, condition_id, idempotency_key, status, stored, seq, deadline)
        VALUES ($1, \(id), \(key), \(status), \(stored), \(seq), \(deadline))
        ON CONFLICT (pool, condition_id) DO UPDATE SET
            status = excluded.status, stored = excluded.stored, seq = excluded.seq, deadline = excluded.deadline
        """
    }
}
