/// A live, gapless, duplicate-free sequence of one pool's records.
///
/// It yields the backlog after its cursor page by page, then waits on the store's
/// ``ChangeSignal`` — which costs no CPU — and reads on when any process appends. Records come
/// in seq order, each exactly once. Cancelling the consuming task ends the sequence promptly
/// (`next()` returns nil) and releases its wait. It holds no database transaction between reads.
public struct RecordWatch: AsyncSequence, Sendable {
    /// The pool's records, in seq order.
    public typealias Element = PoolRecord

    let store: any PoolStore
    let poolID: PoolID
    let after: Seq
    /// Records read per query.
    static let pageSize = 256

    /// Follows `poolID` in `store` from `after`.
    package init(store: any PoolStore, poolID: PoolID, after: Seq) {
        self.store = store
        self.poolID = poolID
        self.after = after
    }

    /// An iterator that starts after the watch's cursor.
    public func makeAsyncIterator() -> Iterator {
        Iterator(store: store, poolID: poolID, cursor: after)
    }

    /// Reads pages and waits for changes.
    public struct Iterator: AsyncIteratorProtocol {
        let store: any PoolStore
        let poolID: PoolID
        /// The seq of the last record returned.
        public private(set) var cursor: Seq
        /// The incarnation of the pool being followed, once seen (``PoolInfo/incarnation``).
        private var incarnation: Int64?
        private var buffer: [PoolRecord] = []
        private var index = 0

        init(store: any PoolStore, poolID: PoolID, cursor: Seq) {
            self.store = store
            self.poolID = poolID
            self.cursor = cursor
        }

        /// The next record; nil once the task is cancelled.
        ///
        /// - Throws: `poolNotFound` once the pool it follows was dropped (and perhaps opened
        ///   again: a new incarnation, whose seqs start again at 1, is never read as the old
        ///   log's continuation); a read error (`corruptRecord`, `storage`, …).
        public mutating func next() async throws -> PoolRecord? {
            if Task.isCancelled { return nil }
            while index == buffer.count {
                if Task.isCancelled { return nil }
                let generation = store.changes.generation
                guard cursor >= 0 else { throw AgentPoolError.invalidInput(field: "after", "cursor must not be negative") }
                let cursor = self.cursor
                let (info, page) = try await store.read(poolID) { tx in
                    (try tx.info(), try tx.records(after: cursor, limit: RecordWatch.pageSize))
                }
                try checkIncarnation(info)
                if page.isEmpty {
                    await store.changes.wait(after: generation)
                } else {
                    buffer = page
                    index = 0
                }
            }
            let record = buffer[index]
            index += 1
            if index == buffer.count {
                buffer = []
                index = 0
            }
            cursor = record.seq
            store.metrics.watchLag(store.clock.nowMillis() - record.recordedAt)
            return record
        }

        /// Remembers the first incarnation seen; throws `poolNotFound` when the pool is gone or
        /// is another incarnation. (A watch started before the pool exists waits for it.)
        private mutating func checkIncarnation(_ info: PoolInfo?) throws {
            guard let info else {
                guard incarnation == nil else {
                    throw AgentPoolError.make(.poolNotFound,
                        "pool '\(poolID)' was dropped while it was followed (at seq \(cursor))")
                }
                return
            }
            if let incarnation, incarnation != info.incarnation {
                throw AgentPoolError.make(.poolNotFound,
                    "pool '\(poolID)' was dropped and opened again while it was followed (at seq \(cursor)): the new pool's log starts again at seq 1; follow it from its snapshot or from 0")
            }
            incarnation = info.incarnation
        }
    }
}

/// The events of a ``RecordWatch`` that match a filter.
public struct EventWatch: AsyncSequence, Sendable {
    /// The matching events, in seq order.
    public typealias Element = PoolEvent

    let records: RecordWatch
    let filter: EventFilter

    /// An iterator over the matching events after the watch's cursor.
    public func makeAsyncIterator() -> Iterator {
        Iterator(records: records.makeAsyncIterator(), filter: filter)
    }

    /// Skips records whose event does not match.
    public struct Iterator: AsyncIteratorProtocol {
        var records: RecordWatch.Iterator
        let filter: EventFilter

        /// The next matching event; nil once the task is cancelled.
        public mutating func next() async throws -> PoolEvent? {
            while let record = try await records.next() {
                if let event = PoolEvent(record), filter.matches(event) { return event }
            }
            return nil
        }
    }
}
