import AgentPool
import AgentPoolSQL

/// How the SQLite log is keyed (schema v8): one integer, the pool's row id × 2⁴⁰ + the seq, which
/// is the table's rowid. why: SQLite appends a row at the end of a rowid table by adding it to the
/// last leaf (a split there fills the old leaf and starts an empty one), while the earlier
/// `(pool, seq)` key of a `WITHOUT ROWID` table rebalanced three half-full leaves on every split:
/// 2.7 WAL pages per send for the log against 1.2 now (BENCHMARKS.md). The order of the key is
/// the order of (pool, seq), so a pool's records are still one contiguous, ordered range.
package enum LogKey {
    /// Bits of the key that hold the seq.
    static let seqBits: Int64 = 40
    /// The largest seq a pool's log can hold: 2⁴⁰ − 1 (a thousand years at 30,000 records a second).
    package static let maximumSeq: Seq = (1 << seqBits) - 1
    /// The largest pool row id (incarnation) a file can give: 2²³ − 1, so that every key fits a
    /// signed 64-bit integer.
    package static let maximumPoolRow: Int64 = (1 << (63 - seqBits)) - 1

    /// The SQL expression of the first key of pool `pool` (an SQL expression): its seq 0.
    static func start(_ pool: String) -> String { "(\(pool) << \(seqBits))" }
    /// The SQL expression of the last key of pool `pool`'s range: its seq ``maximumSeq``. (Not
    /// the next pool's first key minus one: for the largest pool id that would overflow.)
    static func last(_ pool: String) -> String { "(\(start(pool)) + \(maximumSeq))" }
    /// The SQL expression of the seq in a key.
    static func seq(_ key: String) -> String { "(\(key) & \(maximumSeq))" }

    /// A subquery over a `pools` row for `column` of the pool's last record: one seek to the end
    /// of the pool's key range.
    static func lastRecord(_ column: String) -> String {
        "(SELECT \(column) FROM records r WHERE r.id > \(start("pools.id")) AND r.id <= \(last("pools.id")) ORDER BY r.id DESC LIMIT 1)"
    }

    /// The JSON of the message in the `run_message` record at seq `seq` of pool `pool` (SQL
    /// expressions): the record's inner object. ``RecordCodec`` writes that payload as
    /// `{"stored":<message>,"type":"run_message"}`, so the message is the text between a fixed
    /// prefix and suffix (`substr` and `length` count characters; both ends are ASCII). NULL when
    /// there is no such record.
    static func messageInRecord(pool: String, seq: String) -> String {
        let prefix = #"{"stored":"#.count
        let suffix = #","type":""#.count + RecordKind.runMessage.rawValue.count + #""}"#.count
        return """
            (SELECT substr(b.payload, \(prefix + 1), length(b.payload) - \(prefix + suffix)) FROM records b
             WHERE b.id = \(start(pool)) + \(seq) AND b.kind = '\(RecordKind.runMessage.rawValue)')
            """
    }

    /// Message rows without a second copy of their JSON (schema v8): a row written now holds NULL
    /// in `stored` and is read from the record its `seq` names, the message's body of record — the
    /// record the row was written with, which carries exactly that JSON (ProjectionRules). A row
    /// whose record compaction is about to delete gets its JSON copied into `stored` first; rows
    /// written before v8 keep theirs.
    static let messageBodies = SQLDialect.MessageBodies(
        inRow: false,
        column: { alias in "coalesce(\(alias).stored, \(messageInRecord(pool: "\(alias).pool", seq: "\(alias).seq")))" },
        keepThrough: """
            UPDATE messages SET stored = \(messageInRecord(pool: "messages.pool", seq: "messages.seq"))
            WHERE pool = $1 AND stored IS NULL AND seq <= $2
            """)

    /// The log's statements, with the parameters of ``SQLDialect/LogStatements``. A negative
    /// cursor reads from the pool's start, never from the range of the pool before it.
    static let statements = SQLDialect.LogStatements(
        insert: "INSERT INTO records (id, kind, payload, recorded_at) VALUES (\(start("$1")) + $2, $3, $4, $5)",
        readAfter: """
            SELECT \(seq("id")), kind, payload, recorded_at FROM records
            WHERE id > \(start("$1")) + max($2, 0) AND id <= \(last("$1")) ORDER BY id LIMIT $3
            """,
        deleteThrough: "DELETE FROM records WHERE id > \(start("$1")) AND id <= \(start("$1")) + $2",
        deleteAll: "DELETE FROM records WHERE id >= \(start("$1")) AND id <= \(last("$1"))",
        maximumSeq: maximumSeq)
}
