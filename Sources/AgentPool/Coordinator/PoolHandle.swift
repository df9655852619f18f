/// What agents call: one pool on any store backend.
///
/// Every write is ONE atomic write transaction on the store: deadlines are swept, input is
/// checked, the status records are appended and the wakes they match are triggered together, or,
/// on any error, nothing is written. Several handles, in one process or many, may share a pool.
///
/// ```swift
/// let pool = try await PoolHandle.open("reviews", store: store)
/// try await pool.join(Member(runID: "run-a", agentID: "writer"))
/// let receipt = try await pool.send(Message(messageID: "m1", from: "run-a", to: .agent("reviewer"),
///                                           contentRef: "draft-1", idempotencyKey: "m1"))
/// ```
public struct PoolHandle: Sendable {
    /// The pool.
    public let poolID: PoolID
    /// The backend holding it.
    public let store: any PoolStore

    /// A handle on `poolID` in `store`; does not open the pool.
    ///
    /// - Throws: `invalidInput` for a malformed pool id.
    public init(_ poolID: PoolID, store: any PoolStore) throws {
        try IDValidation.check(poolID, field: "pool_id")
        self.poolID = poolID
        self.store = store
    }

    /// Opens the pool (see ``open(config:)``) and returns a handle on it.
    public static func open(_ poolID: PoolID, config: PoolConfig = PoolConfig(), store: any PoolStore) async throws -> PoolHandle {
        let handle = try PoolHandle(poolID, store: store)
        try await handle.open(config: config)
        return handle
    }

    /// Runs `body` as one write on the pool after sweeping overdue deadlines; once it commits,
    /// reports what it expired to the store's metrics.
    func coordinate<T: Sendable>(_ body: @escaping @Sendable (Coordination) throws -> T) async throws -> T {
        let (result, tally) = try await store.write(poolID) { tx in
            let coordination = Coordination(tx)
            try coordination.sweep()
            return (try body(coordination), coordination.tally)
        }
        store.metrics.report(tally)
        return result
    }

    // MARK: Pool and members

    /// Opens the pool: `pool_opened` when it does not exist; an equal config writes nothing.
    ///
    /// - Throws: `configConflict` when it exists with another config; nothing is written.
    @discardableResult
    public func open(config: PoolConfig = PoolConfig()) async throws -> Snapshot {
        try await store.write(poolID) { try $0.openPool(config) }
    }

    /// Records `pool_created` once; returns the cursor after it.
    @discardableResult
    public func markCreated() async throws -> Seq {
        try await coordinate { try $0.markCreated() }
    }

    /// Adds or replaces a member and triggers wakes waiting for its join; returns the cursor.
    ///
    /// With `leaseMillis` the member must call ``heartbeat(_:)`` within that time, again and
    /// again; once a lease runs out, the next write, waiter or ``sweep()`` removes the member
    /// (`member_left`, reason `lease_expired`) and cancels its registered wakes, in one
    /// transaction. Without a lease the member never expires.
    /// - Throws: `poolNotFound`; `invalidInput` (also for a lease below 1 ms). Joining again as
    ///   the same member writes no record.
    @discardableResult
    public func join(_ member: Member, leaseMillis: Millis? = nil) async throws -> Seq {
        if let leaseMillis { try DurationLimits.check(leaseMillis, atLeast: 1, field: "lease_millis") }
        return try await coordinate { try $0.join(member, leaseMillis: leaseMillis) }
    }

    /// Renews `run`'s lease for another lease period and returns its new expiry; nil when the
    /// member joined without a lease. Heartbeats write a side table, never the log.
    ///
    /// - Throws: `notMember` (also when the lease already ran out and the member was removed).
    @discardableResult
    public func heartbeat(_ run: RunID) async throws -> Millis? {
        try IDValidation.check(run, field: "run_id")
        return try await coordinate { try $0.heartbeat(run) }
    }

    /// Records every deadline that has passed: expired leases, overdue wakes and response
    /// timeouts. Every write does this first; call it to do it without writing anything else.
    /// Returns the pool's cursor.
    @discardableResult
    public func sweep() async throws -> Seq {
        try await coordinate { try $0.tx.requireInfo().cursor }
    }

    /// Removes a member and triggers wakes waiting for its departure; returns the cursor.
    ///
    /// - Throws: `notMember`; nothing is written.
    @discardableResult
    public func leave(_ run: RunID) async throws -> Seq {
        try await coordinate { try $0.leave(run) }
    }

    /// Current members, sorted by run id.
    public func members() async throws -> [Member] {
        try await store.read(poolID) { reader in
            _ = try reader.requireInfo()
            return try reader.members()
        }
    }

    /// The pool's snapshot (from projections; equal to the replay of its log).
    public func snapshot() async throws -> Snapshot {
        try await store.snapshot(poolID)
    }

    // MARK: Messages

    /// Sends `message` and returns its receipt.
    ///
    /// A message with an idempotency key already recorded returns that message's current receipt
    /// and writes nothing. Otherwise: expired → `expired`; missing pool-required policy refs or no
    /// recipient → `failed` (with a `reason`, e.g. `no_recipient`: check the receipt); else
    /// `accepted` then `delivered` to the sorted recipients. Matching wakes trigger in the same
    /// transaction.
    ///
    /// A ``Message/queued`` message is work, not a delivery: it is `delivered` to no one yet, goes
    /// to no inbox, and waits until a member its address selects at that time claims it
    /// (``claimNext(_:from:leaseMillis:maxAttempts:)``), members that join later included. If
    /// its ``Message/expiresAtMillis`` passes first, it fails with reason `expired` and becomes a
    /// dead letter (``deadLetters()``).
    /// - Throws: `idempotencyConflict` (key or id used by another message), `notMember` (sender),
    ///   `invalidInput` (also for a body above the pool's ``MessagePolicy/maxBodyBytes``, JSON
    ///   nested deeper than 64 levels, or a correlation above 16 KiB); nothing is written.
    @discardableResult
    public func send(_ message: Message) async throws -> Receipt {
        try message.validate()
        return try await coordinate { try $0.send(message) }
    }

    /// Sends `message` as a reply to `originalID` (its `reply_to` is set) and counts it: the
    /// original becomes `responded` once it has replies from the expected number of distinct
    /// recipients (default 1). Returns the reply's receipt.
    ///
    /// - Throws: `notFound` (no such original), `invalidInput` (the sender is not a recipient of
    ///   the original), `invalidStateTransition` (the original is neither delivered nor
    ///   responded), and everything ``send(_:)`` throws; nothing is written.
    ///
    /// Once the original was claimed (``claimNext(_:from:leaseMillis:maxAttempts:)``), the reply
    /// must carry the replier's current `claimToken`; a stale or missing one is `staleClaim` and
    /// nothing is written. Answering closes the claim.
    @discardableResult
    public func reply(to originalID: MessageID, with message: Message, claimToken: Int64? = nil) async throws -> Receipt {
        try IDValidation.check(originalID, field: "reply_to")
        try message.validate()
        return try await coordinate { try $0.reply(to: originalID, with: message, claimToken: claimToken) }
    }

    /// Cancels a message unless its status is final; a final message's receipt is returned and
    /// nothing is written.
    ///
    /// - Throws: `notFound`.
    @discardableResult
    public func cancel(_ messageID: MessageID) async throws -> Receipt {
        try IDValidation.check(messageID, field: "message_id")
        return try await coordinate { try $0.cancel(messageID) }
    }

    /// The latest receipt of a message.
    ///
    /// - Throws: `notFound`.
    public func receipt(_ messageID: MessageID) async throws -> Receipt {
        try IDValidation.check(messageID, field: "message_id")
        let pool = poolID
        return try await store.read(poolID) { reader in
            guard let stored = try reader.message(messageID) else {
                throw AgentPoolError.make(.notFound, "message '\(messageID)' does not exist in pool '\(pool)'")
            }
            return stored.receipt
        }
    }

    /// Messages delivered to `run` after `cursor`, in delivery order, read from an index (never a
    /// scan of the pool's history). Each item carries the message's current receipt.
    public func inbox(_ run: RunID, after cursor: Seq = 0, limit: Int = 100) async throws -> [InboxItem] {
        try IDValidation.check(run, field: "run_id")
        guard limit >= 1 else { throw AgentPoolError.invalidInput(field: "limit", "limit must be at least 1") }
        return try await store.read(poolID) { reader in
            _ = try reader.requireInfo()
            return try reader.inbox(run: run, after: cursor, limit: limit).compactMap { entry in
                try reader.message(entry.messageID).map { InboxItem(cursor: entry.seq, message: $0.message, receipt: $0.receipt) }
            }
        }
    }

    // MARK: Wakes

    /// Registers "wake `condition.runID` when an event matching `condition.filter` happens".
    ///
    /// Records `registered`; with timeout 0 at once `timed_out`; with `since`, an event after
    /// `since` that already matches triggers it at once (closing the window between reading an
    /// inbox and registering). Later records trigger it in their own transaction. The same key
    /// with the same condition returns the current registration and writes nothing.
    /// - Throws: `notMember` (waiting run), `idempotencyConflict`, `invalidInput`; nothing is written.
    @discardableResult
    public func suspendUntil(_ condition: WakeCondition, since: Seq? = nil) async throws -> Registration {
        try condition.validate()
        if let since, since < 0 { throw AgentPoolError.invalidInput(field: "since", "cursor must not be negative") }
        return try await coordinate { try $0.suspendUntil(condition, since: since) }
    }

    /// The wake's current registration; a registered wake past its deadline is timed out first.
    ///
    /// - Throws: `notFound`.
    public func pollWake(_ conditionID: ConditionID) async throws -> Registration {
        try IDValidation.check(conditionID, field: "condition_id")
        let pool = poolID
        let current = try await store.read(poolID) { reader -> StoredWake in
            guard let wake = try reader.wake(conditionID) else {
                throw AgentPoolError.make(.notFound, "wake condition '\(conditionID)' does not exist in pool '\(pool)'")
            }
            return wake
        }
        if let deadline = current.deadline, deadline <= store.clock.nowMillis() {
            return try await coordinate { try $0.pollWake(conditionID) }
        }
        return current.registration
    }

    /// Cancels a registered wake; a final wake's registration is returned and nothing is written.
    ///
    /// - Throws: `notFound`.
    @discardableResult
    public func cancelWake(_ conditionID: ConditionID) async throws -> Registration {
        try IDValidation.check(conditionID, field: "condition_id")
        return try await coordinate { try $0.cancelWake(conditionID) }
    }

    /// Suspends until the wake's registration is final — triggered by any process, cancelled, or
    /// timed out when its deadline passes (this waiter then records the timeout itself) — and
    /// returns it. Waiting costs no CPU: it sleeps on the store's change notifications and the
    /// clock. While it waits it also records the pool's other deadlines as they pass (a response
    /// timeout that its wake may be waiting for), so they happen on time without other writes.
    ///
    /// - Throws: `notFound`; `CancellationError` when the task is cancelled.
    public func wait(_ conditionID: ConditionID) async throws -> Registration {
        while true {
            let generation = store.changes.generation
            let registration = try await pollWake(conditionID)
            if registration.status.isFinal { return registration }
            try Task.checkCancellation()
            let due = try await recordDueDeadlines()
            if due.swept { continue }  // poll again: the sweep may have finished this wake
            await idle(after: generation, until: [registration.deadlineMillis, due.next].compactMap { $0 }.min())
            try Task.checkCancellation()
        }
    }

    // MARK: History

    /// Up to `limit` records after `cursor`, in seq order.
    public func records(after cursor: Seq = 0, limit: Int = 1000) async throws -> [PoolRecord] {
        try await store.records(poolID, after: cursor, limit: limit)
    }

    /// The pool's records after `cursor` — the backlog, then records appended live by any process
    /// — in seq order, with no gap and no duplicate, until the task is cancelled.
    public func watch(after cursor: Seq = 0) -> RecordWatch {
        RecordWatch(store: store, poolID: poolID, after: cursor)
    }

    /// The events after `cursor` that match `filter`, live, in seq order, until cancelled.
    public func events(matching filter: EventFilter = EventFilter(), after cursor: Seq = 0) -> EventWatch {
        EventWatch(records: watch(after: cursor), filter: filter.normalized())
    }
}
