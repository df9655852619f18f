import AgentPool

/// A value bound to a `$n` parameter of a catalogue statement.
package enum SQLValue: Sendable {
    case integer(Int64)
    case text(String)
    case null
    /// A list of texts (PostgreSQL's `text[]`; a backend without arrays never receives one).
    case texts([String])

    /// `value` as an integer, or NULL.
    package static func integer(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
    /// `value` as an integer.
    package static func integer(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    /// `value` as a text, or NULL.
    package static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
}

/// One result row of a statement, read by column index (0-based). A column that does not hold
/// the type asked for is `corruptRecord`.
package protocol SQLRow {
    /// The integer in column `index`; NULL is an error.
    func integer(_ index: Int) throws -> Int64
    /// The integer in column `index`, or nil for NULL.
    func optionalInteger(_ index: Int) throws -> Int64?
    /// The text in column `index`; NULL is an error.
    func text(_ index: Int) throws -> String
    /// The text in column `index`, or nil for NULL.
    func optionalText(_ index: Int) throws -> String?
    /// The boolean in column `index` (SQLite: an integer, nonzero is true).
    func bool(_ index: Int) throws -> Bool
}

/// The statements of one open transaction of a SQL database: what ``SQLPoolStorage`` needs from
/// a SQL backend. Statements come from ``SQLStatements`` (or a backend's own, in the dialect's
/// placeholder form); errors are already ``AgentPoolError``s or the backend's errors, which its
/// store maps.
package protocol SQLSession: AnyObject {
    /// Runs `sql` with `values` bound to its parameters and calls `row` with each result row, in
    /// order; the row is valid only during the call.
    func query(_ sql: String, _ values: [SQLValue], _ row: (any SQLRow) throws -> Void) throws

    /// Runs `sql`, whose result is not needed (a backend may send it without waiting; its error
    /// then surfaces at a later statement or at COMMIT).
    func execute(_ sql: String, _ values: [SQLValue]) throws
}

extension SQLSession {
    /// The rows of `sql`, each decoded by `decode`.
    package func all<T>(_ sql: String, _ values: [SQLValue], _ decode: (any SQLRow) throws -> T) throws -> [T] {
        var result: [T] = []
        try query(sql, values) { result.append(try decode($0)) }
        return result
    }

    /// The first row of `sql`, decoded by `decode`; nil when there is none.
    package func first<T>(_ sql: String, _ values: [SQLValue], _ decode: (any SQLRow) throws -> T) throws -> T? {
        var result: T?
        try query(sql, values) { row in
            if result == nil { result = try decode(row) }
        }
        return result
    }
}
