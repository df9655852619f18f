import AgentPool

/// Fills the claim queue (``ClaimQueue``) of a database migrated from a schema without one:
/// every delivered message that no claim holds gets its entries, at the position its message row
/// holds — what the projection rules would have written. Run once, by the migration that
/// creates the table, inside its transaction.
package enum ClaimQueueBackfill {
    /// Adds the entries of every pool's delivered, unheld messages through `session`, with the
    /// catalogue's statements in its dialect.
    ///
    /// - Throws: `corruptRecord` when a message row does not decode (the migration then rolls
    ///   back and the file is left as it was); the session's errors.
    package static func run(_ session: any SQLSession, statements: SQLStatements) throws {
        let rows = try session.all("""
            SELECT m.pool, m.message_id, m.stored FROM messages m
            WHERE m.status = 'delivered' AND NOT EXISTS (
                SELECT 1 FROM claims c WHERE c.pool = m.pool AND c.message_id = m.message_id AND c.status = 'held')
            ORDER BY m.pool, m.message_id
            """, []) { row in (try row.integer(0), try row.text(1), try row.text(2)) }
        for (pool, id, json) in rows {
            let stored = try RecordCodec.decodeJSON(StoredMessage.self, from: json, what: "message '\(id)'")
            for key in ClaimQueue.keys(of: stored) {
                try session.execute(statements.enqueueAtRow, [.integer(pool), .text(key), .text(id)])
            }
        }
    }
}
