/// A named reader of a pool whose position survives restarts.
///
/// Its cursor is stored in the database. ``records()`` resumes after the last ``ack(_:)``, so a
/// consumer that crashes between processing a record and acking it sees that record again:
/// delivery is at-least-once, and processing keyed by idempotency keys makes it exactly-once.
/// Records are never skipped.
public struct DurableConsumer: Sendable {
    /// The consumer's name, unique per pool.
    public let name: String
    /// The pool it reads.
    public let pool: PoolHandle

    /// The last acknowledged seq (0 when it never acked).
    public func cursor() async throws -> Seq {
        let name = self.name
        return try await pool.store.read(pool.poolID) { try $0.consumer(name)?.cursor ?? 0 }
    }

    /// The pool's records after the stored cursor — backlog, then live — until cancelled.
    public func records() async throws -> RecordWatch {
        pool.watch(after: try await cursor())
    }

    /// Stores `cursor` as processed; acks only move forward (an older one is a no-op). Returns
    /// the stored cursor. Acks write a side table, not the log.
    ///
    /// - Throws: `invalidInput` for a cursor past the pool's; `poolNotFound`.
    @discardableResult
    public func ack(_ cursor: Seq) async throws -> Seq {
        let name = self.name
        let (stored, lag) = try await pool.store.write(pool.poolID) { tx in
            let stored = try tx.ack(consumer: name, cursor: cursor)
            return (stored, try tx.requireInfo().cursor - stored)
        }
        pool.store.metrics.consumerLag(pool: pool.poolID, consumer: name, lag: lag)
        return stored
    }
}

extension PoolHandle {
    /// The durable consumer `name` of this pool.
    ///
    /// - Throws: `invalidInput` for a malformed name.
    public func consumer(_ name: String) throws -> DurableConsumer {
        try IDValidation.check(name, field: "consumer")
        return DurableConsumer(name: name, pool: self)
    }

    /// Every durable consumer of the pool with its lag, sorted by name.
    public func consumers() async throws -> [ConsumerStatus] {
        try await store.read(poolID) { reader in
            let head = try reader.requireInfo().cursor
            return try reader.consumers().map {
                ConsumerStatus(name: $0.name, cursor: $0.cursor, lag: head - $0.cursor, updatedAt: $0.updatedAt)
            }
        }
    }
}
