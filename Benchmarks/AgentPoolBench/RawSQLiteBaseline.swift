import Foundation
import GRDBSQLite

/// The physical baseline: single-row INSERT transactions through the sqlite3 C API, on a file in
/// the same directory with the store's settings (WAL, synchronous=NORMAL, busy timeout 5 s) and
/// prepared statements reused, as a careful C program would write them.
enum RawSQLiteBaseline {
    /// Committed transactions per second over `count` transactions.
    static func transactionsPerSecond(directory: String, count: Int) throws -> Double {
        let path = "\(directory)/raw-\(UUID().uuidString).sqlite"
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            throw BenchError("cannot open \(path)")
        }
        defer {
            sqlite3_close_v2(db)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = NORMAL")
        try exec("PRAGMA foreign_keys = ON")
        sqlite3_busy_timeout(db, 5000)
        try exec("CREATE TABLE log (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
                throw BenchError("prepare \(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
            return statement
        }
        let begin = try prepare("BEGIN IMMEDIATE")
        let insert = try prepare("INSERT INTO log (payload) VALUES (?)")
        let commit = try prepare("COMMIT")
        defer { [begin, insert, commit].forEach { sqlite3_finalize($0) } }
        let payload = #"{"stored":{"message":{"message_id":"m"},"receipt":{"status":"accepted"}},"type":"run_message"}"#
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let elapsed = try measure {
            for _ in 0..<count {
                guard sqlite3_step(begin) == SQLITE_DONE else { throw BenchError("BEGIN failed") }
                sqlite3_reset(begin)
                sqlite3_bind_text(insert, 1, payload, -1, transient)
                guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchError("INSERT failed") }
                sqlite3_reset(insert)
                guard sqlite3_step(commit) == SQLITE_DONE else { throw BenchError("COMMIT failed") }
                sqlite3_reset(commit)
            }
        }
        return Double(count) / elapsed
    }

    private static func measure(_ body: () throws -> Void) rethrows -> Double {
        let start = monotonicNanos()
        try body()
        return Double(monotonicNanos() - start) / 1e9
    }
}

/// A benchmark that could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
