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
    /// The SQL expression of the first key after pool `pool`'s range.
    static func end(_ pool: String) -> String { "((\(pool) + 1) << \(seqBits))" }
    /// The SQL expression of the seq in a key.
    static func seq(_ key: String) -> String { "(\(key) & \(maximumSeq))" }

    /// A subquery over a `pools` row for `column` of the pool's last record: one seek to the end
    /// of the pool's key range.
    static func lastRecord(_ column: String) -> String {
        "(SELECT \(column) FROM records r WHERE r.id > \(start("pools.id")) AND r.id < \(end("pools.id")) ORDER BY r.id DESC LIMIT 1)"
    }

    /// The log's statements, with the parameters of ``SQLDialect/LogStatements``.
    static let statements = SQLDialect.LogStatements(
        insert: "INSERT INTO records (id, kind, payload, recorded_at) VALUES (\(start("$1")) + $2, $3, $4, $5)",
        readAfter: """
            SELECT \(seq("id")), kind, payload, recorded_at FROM records
            WHERE id > \(start("$1")) + $2 AND id < \(end("$1")) ORDER BY id LIMIT $3
            """,
        deleteThrough: "DELETE FROM records WHERE id > \(start("$1")) AND id <= \(start("$1")) + $2",
        deleteAll: "DELETE FROM records WHERE id >= \(start("$1")) AND id < \(end("$1"))")
}
