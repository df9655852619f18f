import AgentPool
import AgentPoolSQL
import AgentPoolSQLite
import AgentPoolStores
import Foundation
import GRDBSQLite

/// The floor under the store's own writes: the exact SQL statements that one store append and one
/// coordinator send run (the same text, the same bound values, the same JSON), replayed through
/// the sqlite3 C API with prepared statements on a file the store created, with the store's
/// settings, and the same one-byte touch of the `-notify` sidecar after each commit. No model, no
/// JSON encoding (done before timing), no GRDB, no async.
///
/// What the store adds above this floor is the library's overhead; the floor's own distance from
/// the single-row baseline is what the log and the projections the store keeps cost on disk.
/// Before measuring, ``verify(directory:)`` traces a real store append and send and fails when
/// their statements differ from the ones replayed here, so the floor cannot silently go stale.
enum SQLFloor {
    static let begin = "BEGIN IMMEDIATE TRANSACTION"
    static let commit = "COMMIT TRANSACTION"
    /// The store's own statements (its SQLite catalogue), replayed here through the C API.
    private static let catalogue = SQLiteStore.statements
    static let loadPool = catalogue.selectPool
    static let hasDue = catalogue.hasDue
    static let messageByID = catalogue.message
    static let messageByKey = catalogue.messageForKey
    static let isMember = catalogue.isMember
    static let insertRecord = catalogue.insertRecord
    static let upsertMessage = catalogue.upsertMessage
    static let registeredWakes = catalogue.registeredWakes
    static let insertInbox = catalogue.insertInbox
    static let enqueue = catalogue.enqueue

    /// The statements of a store append of a new accepted message, in order.
    static let appendStatements = [begin, loadPool, messageByID, messageByKey, insertRecord, upsertMessage, commit]
    /// The statements of a coordinator send of a new message to one run, in order.
    static let sendStatements = [begin, loadPool, hasDue, messageByKey, messageByID, isMember, isMember,
                                 insertRecord, upsertMessage, registeredWakes, insertRecord, insertInbox, upsertMessage, enqueue, commit]

    /// Traces one store append and one send and throws when their SQL is not the floor's.
    static func verify(directory: String) async throws {
        let traced = Locked<[String]>([])
        var options = SQLiteOptions()
        options.logger = StoreLocation.quietLogger()
        options.statementTrace = { sql in traced.withLock { $0.append(sql) } }
        let store = try SQLiteStore(path: "\(directory)/floor-trace-\(UUID().uuidString).sqlite", options: options)
        let pool = try await Fixtures.openPool("p", in: store)
        _ = try await pool.send(Fixtures.message("warm-up"))
        traced.withLock { $0 = [] }
        let message = Fixtures.message("traced-append")
        try await store.recordMessage("p", StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: .accepted)))
        let append = traced.withLock { lines in defer { lines = [] }; return lines }
        _ = try await pool.send(Fixtures.message("traced-send"))
        let send = traced.withLock { $0 }
        try await store.close()
        for (name, actual, expected) in [("append", append, appendStatements), ("send", send, sendStatements)] {
            guard actual.map(normalized) == expected.map(normalized) else {
                throw BenchError("the SQL floor no longer replays the store's \(name); the store ran:\n"
                                 + actual.joined(separator: "\n"))
            }
        }
    }

    private static func normalized(_ sql: String) -> String {
        sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// What the floor measured: replayed transactions per second and WAL frames (pages) written
    /// per commit, for the append and the send.
    struct Figures {
        var appendPerSecond: Double
        var sendPerSecond: Double
        var appendFramesPerCommit: Double
        var sendFramesPerCommit: Double
    }

    /// Replays `count` appends and `count` sends on one file the store created.
    static func measure(directory: String, count: Int) async throws -> Figures {
        let path = "\(directory)/floor-\(UUID().uuidString).sqlite"
        let store = try SQLiteStore(path: path, options: { var o = SQLiteOptions(); o.logger = StoreLocation.quietLogger(); return o }())
        _ = try await Fixtures.openPool("p", in: store)
        let walLimit = store.options.walSizeLimitBytes
        try await store.close()
        // The JSON each transaction binds, encoded before timing, exactly as the store encodes it.
        func encoded(_ id: String, _ status: MessageStatus, deliveredTo: [RunID] = []) throws -> RecordCodec.Encoded {
            let message = Fixtures.message(id).normalized()
            return try RecordCodec.encode(.runMessage(StoredMessage(
                message: message, receipt: Receipt(messageID: id, status: status, deliveredTo: deliveredTo))))
        }
        let appends = try (0..<count).map { try encoded("append-\($0)", .accepted) }
        let sends = try (0..<count).map { (try encoded("send-\($0)", .accepted), try encoded("send-\($0)", .delivered, deliveredTo: ["b"])) }

        let connection = try Connection(path: path)
        try connection.exec("PRAGMA synchronous = NORMAL")
        try connection.exec("PRAGMA foreign_keys = ON")
        try connection.exec("PRAGMA journal_size_limit = \(walLimit)")
        let sidecar = open(path + "-notify", O_WRONLY | O_CREAT, 0o600)
        defer { close(sidecar) }
        let s = try Dictionary(uniqueKeysWithValues: Set(sendStatements + appendStatements).map { ($0, try connection.prepare($0)) })
        var byte: UInt8 = 1
        let now = Int64(Date().timeIntervalSince1970 * 1000)

        /// Runs the pool lookup; returns the pool row id and the cursor.
        func loadPool() throws -> (Int64, Int64) {
            let statement = s[Self.loadPool]!
            sqlite3_bind_text(statement, 1, "p", -1, transient)
            guard sqlite3_step(statement) == SQLITE_ROW else { throw BenchError("pool p missing") }
            let row = (sqlite3_column_int64(statement, 0), sqlite3_column_int64(statement, 3))
            try connection.finish(statement)
            return row
        }
        func insertRecord(_ pool: Int64, _ seq: Int64, _ encoded: RecordCodec.Encoded) throws {
            try connection.run(s[Self.insertRecord]!, [.int(pool), .int(seq), .text(encoded.kind.rawValue), .text(encoded.payload), .int(seq)])
        }
        func upsertMessage(_ pool: Int64, _ id: String, _ status: MessageStatus, _ seq: Int64) throws {
            // The row holds no copy of the JSON (schema v8): its record is its body.
            try connection.run(s[Self.upsertMessage]!, [.int(pool), .text(id), .text(id), .text(status.rawValue), .null, .int(seq), .null, .int(0)])
        }

        let frames = FrameCounter()
        connection.countFrames(frames)

        let appendStart = monotonicNanos()
        for (index, record) in appends.enumerated() {
            let id = "append-\(index)"
            try connection.run(s[Self.begin]!)
            let (pool, cursor) = try loadPool()
            try connection.run(s[Self.messageByID]!, [.int(pool), .text(id)])
            try connection.run(s[Self.messageByKey]!, [.int(pool), .text(id)])
            try insertRecord(pool, cursor + 1, record)
            try upsertMessage(pool, id, .accepted, cursor + 1)
            try connection.run(s[Self.commit]!)
            _ = pwrite(sidecar, &byte, 1, 0)
        }
        let appendSeconds = Double(monotonicNanos() - appendStart) / 1e9
        let appendFrames = frames.perCommit
        frames.reset()

        let sendStart = monotonicNanos()
        for (index, (accepted, delivered)) in sends.enumerated() {
            let id = "send-\(index)"
            try connection.run(s[Self.begin]!)
            let (pool, cursor) = try loadPool()
            try connection.run(s[Self.hasDue]!, [.int(pool), .int(now)])
            try connection.run(s[Self.messageByKey]!, [.int(pool), .text(id)])
            try connection.run(s[Self.messageByID]!, [.int(pool), .text(id)])
            try connection.run(s[Self.isMember]!, [.int(pool), .text("a")])
            try connection.run(s[Self.isMember]!, [.int(pool), .text("b")])
            try insertRecord(pool, cursor + 1, accepted)
            try upsertMessage(pool, id, .accepted, cursor + 1)
            try connection.run(s[Self.registeredWakes]!, [.int(pool)])
            try insertRecord(pool, cursor + 2, delivered)
            try connection.run(s[Self.insertInbox]!, [.int(pool), .text("b"), .int(cursor + 2), .text(id)])
            try upsertMessage(pool, id, .delivered, cursor + 2)
            try connection.run(s[Self.enqueue]!, [.int(pool), .text("run:b"), .int(0), .int(cursor + 2), .text(id)])
            try connection.run(s[Self.commit]!)
            _ = pwrite(sidecar, &byte, 1, 0)
        }
        let sendSeconds = Double(monotonicNanos() - sendStart) / 1e9
        s.values.forEach { sqlite3_finalize($0) }
        connection.close()
        return Figures(appendPerSecond: Double(count) / appendSeconds, sendPerSecond: Double(count) / sendSeconds,
                       appendFramesPerCommit: appendFrames, sendFramesPerCommit: frames.perCommit)
    }

    /// WAL frames written per commit, from SQLite's WAL hook (which reports the WAL's length in
    /// frames after each commit).
    final class FrameCounter {
        private var frames = 0
        private var commits = 0
        private var length: Int32 = 0

        var perCommit: Double { commits == 0 ? 0 : Double(frames) / Double(commits) }

        func reset() { (frames, commits) = (0, 0) }

        /// After a checkpoint the next writer restarts the WAL, so a shorter WAL means a new one.
        func committed(walLength: Int32) {
            frames += Int(walLength > length ? walLength - length : walLength)
            commits += 1
            length = walLength
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A bound value.
    enum Value { case int(Int64), text(String), null }

    /// One sqlite3 connection with the few calls the floor needs.
    final class Connection {
        private var db: OpaquePointer?

        init(path: String) throws {
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
                throw BenchError("cannot open \(path)")
            }
            sqlite3_busy_timeout(db, 5000)
        }

        func close() { sqlite3_close_v2(db) }

        /// Reports each commit's WAL length to `counter`. Installing a WAL hook replaces SQLite's
        /// automatic checkpoint, so the hook runs that checkpoint itself, as SQLite's default hook
        /// does: PASSIVE, once the WAL holds 1,000 frames.
        func countFrames(_ counter: FrameCounter) {
            sqlite3_wal_hook(db, { context, db, name, walLength in
                Unmanaged<FrameCounter>.fromOpaque(context!).takeUnretainedValue().committed(walLength: walLength)
                if walLength >= 1_000 { sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
                return SQLITE_OK
            }, Unmanaged.passUnretained(counter).toOpaque())
        }

        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw error(sql) }
        }

        func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK else { throw error(sql) }
            return statement
        }

        /// Binds `values`, steps through every row, resets.
        func run(_ statement: OpaquePointer?, _ values: [Value] = []) throws {
            for (index, value) in values.enumerated() {
                let position = Int32(index + 1)
                switch value {
                case .int(let number): sqlite3_bind_int64(statement, position, number)
                case .text(let text): sqlite3_bind_text(statement, position, text, -1, SQLFloor.transient)
                case .null: sqlite3_bind_null(statement, position)
                }
            }
            var code = sqlite3_step(statement)
            while code == SQLITE_ROW { code = sqlite3_step(statement) }
            guard code == SQLITE_DONE else { throw error(String(cString: sqlite3_sql(statement))) }
            sqlite3_reset(statement)
        }

        /// Resets a statement whose row was read by the caller.
        func finish(_ statement: OpaquePointer?) throws {
            while sqlite3_step(statement) == SQLITE_ROW {}
            sqlite3_reset(statement)
        }

        private func error(_ sql: String) -> BenchError {
            BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
    }
}
