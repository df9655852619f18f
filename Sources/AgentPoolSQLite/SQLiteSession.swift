import AgentPool
import AgentPoolSQL
import GRDB
import GRDBSQLite

/// The SQL session of one SQLite connection inside a transaction GRDB opened: the catalogue's
/// statements, prepared once per connection (GRDB's statement cache), bound and stepped through
/// the sqlite3 C API. why: GRDB's per-statement argument and row handling measured ~12 % of a
/// small write (BENCHMARKS.md); the statement cache, transactions and errors stay GRDB's.
final class SQLiteSession: SQLSession {
    private let db: Database

    init(_ db: Database) { self.db = db }

    /// The SQLite dialect: `?n` parameters, the log keyed by ``LogKey``, message rows read from
    /// their record (``LogKey/messageBodies``), the cursor read from
    /// the log's key (not stored a second time, so that a write dirties one page fewer). A new
    /// pool gets no row (and creating it fails) once the file has given ``LogKey/maximumPoolRow``
    /// incarnations.
    static let dialect = SQLDialect(
        placeholder: .question,
        cursorColumn: LogKey.lastRecord(LogKey.seq("r.id")),
        lastRecordedAtColumn: LogKey.lastRecord("r.recorded_at"),
        insertPool: """
            INSERT INTO pools (id, pool_id, config) SELECT last + 1, $1, $2 FROM pool_ids
            WHERE last < \(LogKey.maximumPoolRow) RETURNING id
            """,
        log: LogKey.statements, messageBodies: LogKey.messageBodies)

    /// The catalogue in SQLite's syntax.
    static let statements = SQLStatements(dialect)

    func query(_ sql: String, _ values: [SQLValue], _ row: (any SQLRow) throws -> Void) throws {
        let statement = try prepare(sql, values)
        defer { finish(statement) }
        while true {
            let code = sqlite3_step(statement)
            switch code {
            case SQLITE_ROW: try row(SQLiteRow(statement: statement))
            case SQLITE_DONE: return
            default: throw error(code, sql)
            }
        }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws {
        let statement = try prepare(sql, values)
        defer { finish(statement) }
        var code = sqlite3_step(statement)
        while code == SQLITE_ROW { code = sqlite3_step(statement) }
        guard code == SQLITE_DONE else { throw error(code, sql) }
    }

    /// The cached statement for `sql` with `values` bound.
    private func prepare(_ sql: String, _ values: [SQLValue]) throws -> OpaquePointer {
        let statement = try db.cachedStatement(sql: sql).sqliteStatement
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let value): code = sqlite3_bind_int64(statement, index, value)
            case .text(let value): code = sqlite3_bind_text(statement, index, value, -1, SQLITE_TRANSIENT)
            case .null: code = sqlite3_bind_null(statement, index)
            case .texts: throw AgentPoolError.make(.storage, "SQLite has no array parameters (\(sql))")
            }
            guard code == SQLITE_OK else {
                finish(statement)
                throw error(code, sql)
            }
        }
        return statement
    }

    /// Leaves the statement as GRDB expects to find it: reset, no bindings.
    private func finish(_ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    private func error(_ code: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }
}

/// A row of a stepped SQLite statement, read in place.
private struct SQLiteRow: SQLRow {
    let statement: OpaquePointer

    private func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL }

    private func null(_ index: Int) -> AgentPoolError {
        AgentPoolError.corruptRecord("column \(index) of '\(sqlite3_sql(statement).map { String(cString: $0) } ?? "?")' is NULL")
    }

    func integer(_ index: Int) throws -> Int64 {
        guard !isNull(index) else { throw null(index) }
        return sqlite3_column_int64(statement, Int32(index))
    }

    func optionalInteger(_ index: Int) throws -> Int64? {
        isNull(index) ? nil : sqlite3_column_int64(statement, Int32(index))
    }

    func text(_ index: Int) throws -> String {
        guard let text = try optionalText(index) else { throw null(index) }
        return text
    }

    func optionalText(_ index: Int) throws -> String? {
        guard let bytes = sqlite3_column_text(statement, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func bool(_ index: Int) throws -> Bool { try integer(index) != 0 }
}

/// SQLite's "copy the bytes now" destructor for bound text.
private let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
