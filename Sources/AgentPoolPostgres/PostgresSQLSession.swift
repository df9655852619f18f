#if Postgres
import AgentPool
import AgentPoolSQL
import PostgresNIO

/// The catalogue's statements on a ``PostgresSession`` inside its open transaction: statements
/// whose result is not needed are pipelined (see ``PostgresSession/execute(_:_:)``).
final class PostgresSQLSession: SQLSession {
    let session: PostgresSession

    init(_ session: PostgresSession) { self.session = session }

    /// The PostgreSQL dialect: `$n` parameters, the cursor kept in the pools row (written once per
    /// transaction, see ``PostgresStore``), and a record written with its projection rows in one
    /// statement (one round trip to the server instead of two or three).
    static let dialect = SQLDialect(
        placeholder: .dollar, cursorColumn: "last_seq",
        lastRecordedAtColumn: "(SELECT recorded_at FROM records r WHERE r.pool = pools.id AND r.seq = pools.last_seq)",
        insertPool: "INSERT INTO pools (pool_id, config, created, last_seq) VALUES ($1, $2, false, 0) RETURNING id",
        combinedAppend: combinedAppend)

    /// The catalogue in PostgreSQL's syntax.
    static let statements = SQLStatements(dialect)

    func query(_ sql: String, _ values: [SQLValue], _ row: (any SQLRow) throws -> Void) throws {
        for result in try session.query(sql, values.map(Self.bind)) {
            try row(PostgresSQLRow(row: result.makeRandomAccess()))
        }
    }

    func execute(_ sql: String, _ values: [SQLValue]) throws {
        try session.execute(sql, values.map(Self.bind))
    }

    private static func bind(_ value: SQLValue) -> PostgresValue {
        switch value {
        case .integer(let value): value
        case .text(let value): value
        case .null: nil
        case .texts(let values): values
        }
    }

    /// A message's or a wake's record with its projection rows (a message's inbox rows and
    /// claim-queue entries included) in one statement; nil for the other kinds, and for a
    /// message record that changes the dependency index, which are written statement by
    /// statement.
    private static func combinedAppend(_ pool: Int64, _ encoded: EncodedRecord, _ changes: [ProjectionChange]) -> (String, [SQLValue])? {
        let record = encoded.record
        // $1…$5: the log row.
        let values: [SQLValue] = [.integer(pool), .integer(record.seq), .text(record.kind.rawValue),
                                  .text(encoded.payloadJSON), .integer(record.recordedAt)]
        var message: (StoredMessage, String)?
        var runs: [String] = [], dequeued: [String] = [], enqueued: [String] = []
        for change in changes {
            switch change {
            case .putMessage(let stored, let json): message = (stored, json)
            case .deliver(_, let to): runs = to
            case .dequeue(_, let keys): dequeued = keys
            case .enqueue(_, let keys, _): enqueued = keys
            case .putWake(let stored, let json):
                guard changes.count == 1 else { return nil }
                return (wakeAppend, values + [
                    .text(stored.condition.conditionID), .text(stored.condition.idempotencyKey),
                    .text(stored.registration.status.rawValue), .text(json), .integer(stored.deadline),
                ])
            default: return nil
            }
        }
        guard let (stored, json) = message else { return nil }
        return (messageAppend, values + [
            .text(stored.message.messageID), .texts(runs), .text(stored.message.idempotencyKey),
            .text(stored.receipt.status.rawValue), .text(json), .integer(stored.deadline),
            .integer(ClaimQueuePosition(priority: stored.message.priority, seq: record.seq).rank),
            .texts(dequeued), .texts(enqueued),
        ])
    }

    /// Every part reads the snapshot from before the statement: the dequeue finds the entries at
    /// the message row's old position, while the upsert moves the row to the new one.
    private static let messageAppend = """
        WITH record AS (\(SQLStatements.insertRecordSQL)),
             delivery AS (INSERT INTO inbox (pool, run_id, seq, message_id) SELECT $1, r, $2, $6 FROM unnest($7::text[]) AS r),
             dequeued AS (DELETE FROM claim_queue q USING messages m
                          WHERE q.pool = $1 AND q.claimable_by = ANY($13::text[]) AND m.pool = $1 AND m.message_id = $6
                            AND q.rank = m.rank AND q.seq = m.seq),
             enqueued AS (INSERT INTO claim_queue (pool, claimable_by, rank, seq, message_id)
                          SELECT $1, k, $12, $2, $6 FROM unnest($14::text[]) AS k)
        \(SQLStatements.upsertMessageSQL(id: "$6", key: "$8", status: "$9", stored: "$10", seq: "$2", deadline: "$11", rank: "$12"))
        """

    private static let wakeAppend = """
        WITH record AS (\(SQLStatements.insertRecordSQL))
        \(SQLStatements.upsertWakeSQL(id: "$6", key: "$7", status: "$8", stored: "$9", seq: "$2", deadline: "$10"))
        """
}

/// A result row of postgres-nio, read by column index.
private struct PostgresSQLRow: SQLRow {
    let row: PostgresRandomAccessRow

    private func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type) throws -> T {
        do {
            return try row[index].decode(T.self)
        } catch let error as PostgresDecodingError {
            throw AgentPoolError.corruptRecord("column '\(error.columnName)' cannot be read as \(error.targetType): \(error.code)")
        }
    }

    func integer(_ index: Int) throws -> Int64 { try decode(index, as: Int64.self) }
    func optionalInteger(_ index: Int) throws -> Int64? { try decode(index, as: Int64?.self) }
    func text(_ index: Int) throws -> String { try decode(index, as: String.self) }
    func optionalText(_ index: Int) throws -> String? { try decode(index, as: String?.self) }
    func bool(_ index: Int) throws -> Bool { try decode(index, as: Bool.self) }
}
#endif
