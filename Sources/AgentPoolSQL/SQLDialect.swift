import AgentPool

/// What truly differs between the SQL backends' statements; everything else is
/// ``SQLStatements``, written once.
package struct SQLDialect: Sendable {
    /// How a parameter is written: PostgreSQL's `$n` or SQLite's `?n`.
    package enum Placeholder: Sendable { case dollar, question }

    /// The parameter syntax.
    package var placeholder: Placeholder
    /// The expression that gives a pool's cursor in a `FROM pools` query (SQLite reads it from
    /// the log's primary key; PostgreSQL keeps it in the pools row, written once per transaction).
    package var cursorColumn: String
    /// The expression, over a `pools` row, for the `recorded_at` of the pool's last record.
    package var lastRecordedAtColumn: String
    /// The statement that creates a pool row (`$1` pool id, `$2` config JSON) and returns its id.
    package var insertPool: String
    /// Writes a record together with its projection rows in one statement, when the backend can
    /// (PostgreSQL: one round trip instead of two or three); nil when it cannot for these changes.
    package var combinedAppend: (@Sendable (_ pool: Int64, _ record: EncodedRecord, _ changes: [ProjectionChange]) -> (String, [SQLValue])?)?
    /// How the log table is keyed, and so the statements that write, read and delete it.
    package var log: LogStatements
    /// Where a message row's JSON (its ``StoredMessage``) lives.
    package var messageBodies: MessageBodies

    /// Where message rows keep their JSON: in the row (`stored`), or in the log record the row's
    /// `seq` names, of which the row then holds no second copy.
    package struct MessageBodies: Sendable {
        /// Whether a message row written now keeps its JSON in `stored` (else it writes NULL there).
        package var inRow: Bool
        /// The SQL expression of the JSON of the message row aliased `$0`.
        package var column: @Sendable (_ alias: String) -> String
        /// Run before records are deleted by compaction (`$1` pool, `$2` seq): copies into
        /// `stored` the JSON of every message row whose record is about to go.
        package var keepThrough: String?

        /// Creates a layout.
        package init(inRow: Bool, column: @escaping @Sendable (String) -> String, keepThrough: String?) {
            self.inRow = inRow
            self.column = column
            self.keepThrough = keepThrough
        }

        /// Every message row holds its JSON.
        package static let rows = MessageBodies(inRow: true, column: { "\($0).stored" }, keepThrough: nil)
    }

    /// The statements of the log table, with `$n` parameters; each dialect keys the log its own way.
    package struct LogStatements: Sendable {
        /// Appends a record: `$1` pool, `$2` seq, `$3` kind, `$4` payload, `$5` recorded_at.
        package var insert: String
        /// Reads records in seq order: `$1` pool, after `$2`, at most `$3`; columns seq, kind,
        /// payload, recorded_at.
        package var readAfter: String
        /// Deletes the records of pool `$1` with seq ≤ `$2`.
        package var deleteThrough: String
        /// Deletes every record of pool `$1`.
        package var deleteAll: String
        /// The largest seq the key can hold (a larger one is refused before anything is written).
        package var maximumSeq: Seq

        /// Statements of a log table, each with the parameters above.
        package init(insert: String, readAfter: String, deleteThrough: String, deleteAll: String, maximumSeq: Seq = .max) {
            self.insert = insert
            self.readAfter = readAfter
            self.deleteThrough = deleteThrough
            self.deleteAll = deleteAll
            self.maximumSeq = maximumSeq
        }

        /// A log table keyed by the columns (pool, seq).
        package static let byPoolAndSeq = LogStatements(
            insert: SQLStatements.insertRecordSQL,
            readAfter: "SELECT seq, kind, payload, recorded_at FROM records WHERE pool = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            deleteThrough: "DELETE FROM records WHERE pool = $1 AND seq <= $2",
            deleteAll: "DELETE FROM records WHERE pool = $1")
    }

    /// Creates a dialect.
    package init(placeholder: Placeholder, cursorColumn: String, lastRecordedAtColumn: String, insertPool: String,
                 log: LogStatements = .byPoolAndSeq, messageBodies: MessageBodies = .rows,
                 combinedAppend: (@Sendable (Int64, EncodedRecord, [ProjectionChange]) -> (String, [SQLValue])?)? = nil) {
        self.placeholder = placeholder
        self.cursorColumn = cursorColumn
        self.lastRecordedAtColumn = lastRecordedAtColumn
        self.insertPool = insertPool
        self.log = log
        self.messageBodies = messageBodies
        self.combinedAppend = combinedAppend
    }

    /// `sql` written with `$n` parameters, in this dialect's syntax.
    package func sql(_ sql: String) -> String {
        switch placeholder {
        case .dollar: return sql
        case .question:
            // `$` is never part of this package's SQL except as a parameter.
            return sql.replacingOccurrences(of: "$", with: "?")
        }
    }
}
