import AgentPool

/// The ``PoolStorage`` of both SQL backends: the catalogue's statements over a backend's
/// ``SQLSession``, inside a transaction the backend opened. Holds no rule: it stores what the
/// core's ``PoolTransaction`` gives it.
package final class SQLPoolStorage: PoolStorage {
    package let poolID: PoolID
    private let session: any SQLSession
    private let statements: SQLStatements
    private let dialect: SQLDialect
    private let configs: ConfigCache
    /// The pool's row id: unknown (not read yet), nil (no such pool), or the id.
    private var row: Int64??

    /// - Parameter loaded: the pool row when the caller already read it (PostgreSQL's write
    ///   lock), nil to read it on first use.
    package init(session: any SQLSession, poolID: PoolID, statements: SQLStatements, dialect: SQLDialect,
                 configs: ConfigCache, loaded: LoadedPool?? = nil) {
        self.session = session
        self.poolID = poolID
        self.statements = statements
        self.dialect = dialect
        self.configs = configs
        self.loaded = loaded
        if let loaded { row = .some(loaded?.rowID) }
    }

    /// A pool row: its id and what it holds.
    package struct LoadedPool: Sendable {
        package var rowID: Int64
        package var info: PoolInfo
    }

    /// The pool row read before the transaction began using this storage, handed out once.
    private var loaded: LoadedPool??

    /// Reads `poolID`'s row through `session` (with `suffix`, e.g. `FOR UPDATE`).
    package static func loadPool(_ session: any SQLSession, _ poolID: PoolID, statements: SQLStatements,
                                 configs: ConfigCache, suffix: String = "") throws -> LoadedPool? {
        try session.first(statements.selectPool + suffix, [.text(poolID)]) { row in
            let compactedThrough = try row.integer(4)
            return LoadedPool(rowID: try row.integer(0), info: PoolInfo(
                config: try configs.config(try row.text(1), pool: poolID), created: try row.bool(2),
                cursor: max(try row.optionalInteger(3) ?? 0, compactedThrough), compactedThrough: compactedThrough,
                checkpoint: try row.optionalInteger(5), lastRecordedAt: try row.optionalInteger(6),
                incarnation: try row.integer(0)))
        }
    }

    private var rowID: Int64? {
        get throws {
            if let row { return row }
            let loaded = try Self.loadPool(session, poolID, statements: statements, configs: configs)
            row = .some(loaded?.rowID)
            return loaded?.rowID
        }
    }

    // MARK: Reads

    package func info() throws -> PoolInfo? {
        if let loaded {
            self.loaded = nil
            return loaded?.info
        }
        let pool = try Self.loadPool(session, poolID, statements: statements, configs: configs)
        row = .some(pool?.rowID)
        return pool?.info
    }

    /// The rows `sql` returns for this pool (`$1`: the pool row), each decoded; none when the
    /// pool does not exist.
    private func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ decode: (any SQLRow) throws -> T) throws -> [T] {
        guard let rowID = try rowID else { return [] }
        return try session.all(sql, [.integer(rowID)] + values, decode)
    }

    /// The JSON column of every row `sql` returns for this pool, decoded as `T`.
    private func json<T: Decodable>(_ type: T.Type, _ sql: String, _ values: [SQLValue] = [], what: String) throws -> [T] {
        try rows(sql, values) { row in
            try RecordCodec.decodeJSON(type, from: try row.text(0), what: "\(what) of pool '\(poolID)'")
        }
    }

    package func member(_ run: RunID) throws -> Member? {
        try json(Member.self, statements.member, [.text(run)], what: "member").first
    }

    package func isMember(_ run: RunID) throws -> Bool {
        try !rows(statements.isMember, [.text(run)]) { _ in () }.isEmpty
    }

    package func members() throws -> [Member] { try json(Member.self, statements.members, what: "member") }

    package func members(ofAgent agent: AgentID) throws -> [Member] {
        try json(Member.self, statements.membersOfAgent, [.text(agent)], what: "member")
    }

    package func members(inTopic topic: TopicID) throws -> [Member] {
        try json(Member.self, statements.membersInTopic, [.text(topic)], what: "member")
    }

    package func topics() throws -> [TopicID] { try rows(statements.topics) { try $0.text(0) } }

    package func message(_ id: MessageID) throws -> StoredMessage? {
        try json(StoredMessage.self, statements.message, [.text(id)], what: "message").first
    }

    package func message(forKey key: IdempotencyKey) throws -> StoredMessage? {
        try json(StoredMessage.self, statements.messageForKey, [.text(key)], what: "message").first
    }

    package func messages() throws -> [StoredMessage] { try json(StoredMessage.self, statements.messages, what: "message") }

    package func wake(_ id: ConditionID) throws -> StoredWake? {
        try json(StoredWake.self, statements.wake, [.text(id)], what: "wake").first
    }

    package func wake(forKey key: IdempotencyKey) throws -> StoredWake? {
        try json(StoredWake.self, statements.wakeForKey, [.text(key)], what: "wake").first
    }

    package func wakes() throws -> [StoredWake] { try json(StoredWake.self, statements.wakes, what: "wake") }

    package func registeredWakes() throws -> [StoredWake] { try json(StoredWake.self, statements.registeredWakes, what: "wake") }

    package func dueMessages(at now: Millis, limit: Int) throws -> [StoredMessage] {
        try json(StoredMessage.self, statements.dueMessages, [.integer(now), .integer(limit)], what: "message")
    }

    package func dueWakes(at now: Millis, limit: Int) throws -> [StoredWake] {
        try json(StoredWake.self, statements.dueWakes, [.integer(now), .integer(limit)], what: "wake")
    }

    package func hasDue(at now: Millis) throws -> Bool {
        try rows(statements.hasDue, [.integer(now)]) { try $0.bool(0) }.first ?? false
    }

    package func records(after: Seq, limit: Int) throws -> [PoolRecord] {
        try rows(statements.records, [.integer(after), .integer(limit)]) { row in
            let seq = try row.integer(0)
            let payload = try RecordCodec.decode(kind: try row.text(1), payload: try row.text(2), pool: poolID, seq: seq)
            return PoolRecord(poolID: poolID, seq: seq, recordedAt: try row.integer(3), payload: payload)
        }
    }

    package func inbox(run: RunID, after: Seq, limit: Int) throws -> [InboxEntry] {
        try rows(statements.inbox, [.text(run), .integer(after), .integer(limit)]) { row in
            InboxEntry(seq: try row.integer(0), messageID: try row.text(1))
        }
    }

    package func consumer(_ name: String) throws -> ConsumerCursor? {
        try rows(statements.consumer, [.text(name)], Self.consumer).first
    }

    package func consumers() throws -> [ConsumerCursor] { try rows(statements.consumers, [], Self.consumer) }

    private static func consumer(_ row: any SQLRow) throws -> ConsumerCursor {
        ConsumerCursor(name: try row.text(0), cursor: try row.integer(1), updatedAt: try row.integer(2))
    }

    package func lease(_ run: RunID) throws -> MemberLease? { try rows(statements.lease, [.text(run)], Self.lease).first }

    package func dueLeases(at now: Millis, limit: Int) throws -> [MemberLease] {
        try rows(statements.dueLeases, [.integer(now), .integer(limit)], Self.lease)
    }

    private static func lease(_ row: any SQLRow) throws -> MemberLease {
        MemberLease(runID: try row.text(0), leaseMillis: try row.integer(1), expiresAt: try row.integer(2))
    }

    // MARK: Claims

    /// The claim in columns `offset…offset+8` of `row` (``SQLStatements/claimColumns``, in order).
    private func claim(_ row: any SQLRow, at offset: Int = 0) throws -> MessageClaim {
        let id = try row.text(offset)
        let raw = try row.text(offset + 1)
        guard let status = ClaimStatus(rawValue: raw) else {
            throw AgentPoolError.corruptRecord("claim of message '\(id)' in pool '\(poolID)' has unknown status '\(raw)'")
        }
        return MessageClaim(messageID: id, status: status, runID: try row.text(offset + 2), token: try row.integer(offset + 3),
                            leaseMillis: try row.integer(offset + 4), expiresAt: try row.integer(offset + 5),
                            expiredCount: Int(try row.integer(offset + 6)), maxAttempts: Int(try row.integer(offset + 7)),
                            resentAs: try row.optionalText(offset + 8))
    }

    package func claim(_ id: MessageID) throws -> MessageClaim? {
        try rows(statements.claim, [.text(id)]) { try claim($0) }.first
    }

    package func claimCandidates(key: String, at now: Millis, after: ClaimQueuePosition, limit: Int) throws -> [ClaimCandidate] {
        try rows(statements.claimCandidates, [.text(key), .integer(after.rank), .integer(after.seq), .integer(now), .integer(limit)]) { row in
            let seq = try row.integer(0)
            let stored = try RecordCodec.decodeJSON(StoredMessage.self, from: try row.text(1),
                                                    what: "message of pool '\(poolID)' at seq \(seq)")
            let claimed = try row.optionalText(2) != nil
            return ClaimCandidate(seq: seq, stored: stored, claim: claimed ? try claim(row, at: 2) : nil)
        }
    }

    package func dependents(of id: MessageID) throws -> [StoredMessage] {
        try json(StoredMessage.self, statements.dependents, [.text(id)], what: "message")
    }

    package func liveClaimCount(target: String, at now: Millis) throws -> Int {
        Int(try rows(statements.liveClaimCount, [.text(target), .integer(now)]) { try $0.integer(0) }.first ?? 0)
    }

    package func nextRetry(after now: Millis) throws -> Millis? {
        try rows(statements.nextRetry, [.integer(now)]) { try $0.integer(0) }.first
    }

    package func dueClaims(at now: Millis, limit: Int) throws -> [MessageClaim] {
        try rows(statements.dueClaims, [.integer(now), .integer(limit)]) { try claim($0) }
    }

    package func claims(status: ClaimStatus, run: RunID?) throws -> [MessageClaim] {
        if let run {
            return try rows(statements.claimsByStatusAndRun, [.text(status.rawValue), .text(run)]) { try claim($0) }
        }
        return try rows(statements.claimsByStatus, [.text(status.rawValue)]) { try claim($0) }
    }

    // MARK: Writes

    /// The pool's row id, which every write needs (the core writes only to an existing pool).
    private func requireRow() throws -> Int64 {
        guard let rowID = try rowID else { throw AgentPoolError.poolNotFound(poolID) }
        return rowID
    }

    package func createPool(_ config: PoolConfig, json: String) throws -> Int64 {
        guard let id = try session.first(statements.insertPool, [.text(poolID), .text(json)], { try $0.integer(0) }) else {
            throw AgentPoolError.make(.storage, "cannot create pool '\(poolID)': the database has no pool id left to give (every id it can hold was given to a pool, dropped ones included)")
        }
        row = .some(id)
        return id
    }

    package func append(_ encoded: EncodedRecord, applying changes: [ProjectionChange]) throws {
        let pool = try requireRow()
        let record = encoded.record
        guard record.seq <= dialect.log.maximumSeq else {
            throw AgentPoolError.make(.storage, "pool '\(poolID)' is full: its log holds at most \(dialect.log.maximumSeq) records")
        }
        if let combined = dialect.combinedAppend?(pool, encoded, changes) {
            try session.execute(combined.0, combined.1)
            return
        }
        try session.execute(statements.insertRecord, [
            .integer(pool), .integer(record.seq), .text(record.kind.rawValue), .text(encoded.payloadJSON), .integer(record.recordedAt),
        ])
        for change in changes {
            switch change {
            case .markCreated:
                try session.execute(statements.markCreated, [.integer(pool)])
            case .checkpoint:
                try session.execute(statements.setCheckpoint, [.integer(pool), .integer(record.seq)])
            case .putMember(let member, let json):
                try session.execute(statements.upsertMember, [.integer(pool), .text(member.runID), .text(member.agentID), .text(json)])
                try session.execute(statements.deleteMemberTopics, [.integer(pool), .text(member.runID)])
                for topic in member.topics.normalizedTopics() {
                    try session.execute(statements.insertMemberTopic, [.integer(pool), .text(member.runID), .text(topic)])
                }
            case .removeMember(let run):
                try session.execute(statements.deleteMember, [.integer(pool), .text(run)])
                try session.execute(statements.deleteMemberTopics, [.integer(pool), .text(run)])
            case .removeLease(let run):
                try session.execute(statements.deleteLease, [.integer(pool), .text(run)])
            case .putMessage(let stored, let json):
                try session.execute(statements.upsertMessage, [
                    .integer(pool), .text(stored.message.messageID), .text(stored.message.idempotencyKey),
                    .text(stored.receipt.status.rawValue), dialect.messageBodies.inRow ? .text(json) : .null, .integer(record.seq),
                    .integer(stored.deadline),
                    .integer(ClaimQueuePosition(priority: stored.message.priority, seq: record.seq).rank),
                ])
            case .addDependencies(let id, let dependencies):
                for dependency in dependencies {
                    try session.execute(statements.insertDependency, [.integer(pool), .text(dependency), .text(id)])
                }
            case .removeDependencies(let id, let dependencies):
                for dependency in dependencies {
                    try session.execute(statements.deleteDependency, [.integer(pool), .text(dependency), .text(id)])
                }
            case .dequeue(let id, let keys):
                for key in keys { try session.execute(statements.dequeueAtRow, [.integer(pool), .text(key), .text(id)]) }
            case .enqueue(let id, let keys, let rank):
                for key in keys {
                    try session.execute(statements.enqueue, [.integer(pool), .text(key), .integer(rank), .integer(record.seq), .text(id)])
                }
            case .deliver(let id, let runs):
                for run in runs {
                    try session.execute(statements.insertInbox, [.integer(pool), .text(run), .integer(record.seq), .text(id)])
                }
            case .putWake(let stored, let json):
                try session.execute(statements.upsertWake, [
                    .integer(pool), .text(stored.condition.conditionID), .text(stored.condition.idempotencyKey),
                    .text(stored.registration.status.rawValue), .text(json), .integer(record.seq), .integer(stored.deadline),
                ])
            }
        }
    }

    package func saveConsumer(_ consumer: ConsumerCursor) throws {
        try session.execute(statements.upsertConsumer, [
            .integer(try requireRow()), .text(consumer.name), .integer(consumer.cursor), .integer(consumer.updatedAt),
        ])
    }

    package func saveLease(_ lease: MemberLease) throws {
        try session.execute(statements.upsertLease, [
            .integer(try requireRow()), .text(lease.runID), .integer(lease.leaseMillis), .integer(lease.expiresAt),
        ])
    }

    package func removeLease(_ run: RunID) throws {
        try session.execute(statements.deleteLease, [.integer(try requireRow()), .text(run)])
    }

    package func saveClaim(_ claim: MessageClaim, target: String) throws {
        try session.execute(statements.upsertClaim, [
            .integer(try requireRow()), .text(claim.messageID), .text(claim.status.rawValue), .text(claim.runID),
            .integer(claim.token), .integer(claim.leaseMillis), .integer(claim.expiresAt), .integer(claim.expiredCount),
            .integer(claim.maxAttempts), .text(claim.resentAs), .text(target),
        ])
    }

    package func setQueued(_ id: MessageID, keys: [String], queued: Bool) throws {
        let pool = try requireRow()
        for key in keys {
            try session.execute(queued ? statements.enqueueAtRow : statements.dequeueAtRow, [.integer(pool), .text(key), .text(id)])
        }
    }

    package func discardRecords(through: Seq) throws {
        let pool = try requireRow()
        if let keep = statements.keepMessageBodiesThrough { try session.execute(keep, [.integer(pool), .integer(through)]) }
        try session.execute(statements.deleteRecordsThrough, [.integer(pool), .integer(through)])
        try session.execute(statements.setCompactedThrough, [.integer(pool), .integer(through)])
    }

    package func dropPool() throws {
        let pool = try requireRow()
        for sql in statements.dropPool { try session.execute(sql, [.integer(pool)]) }
        row = .some(nil)
    }
}

extension Array where Element == TopicID {
    /// Each topic once (a member's topic rows are a set).
    func normalizedTopics() -> [TopicID] {
        var seen = Set<TopicID>()
        return filter { seen.insert($0).inserted }
    }
}
