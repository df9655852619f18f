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

    /// Creates a dialect.
    package init(placeholder: Placeholder, cursorColumn: String, lastRecordedAtColumn: String, insertPool: String,
                 combinedAppend: (@Sendable (Int64, EncodedRecord, [ProjectionChange]) -> (String, [SQLValue])?)? = nil) {
        self.placeholder = placeholder
        self.cursorColumn = cursorColumn
        self.lastRecordedAtColumn = lastRecordedAtColumn
        self.insertPool = insertPool
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
