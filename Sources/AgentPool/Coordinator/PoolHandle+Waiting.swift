/// Waiting without a wake condition, and what every waiter of the pool shares: sleeping on the
/// store's change notifications and the clock, and recording deadlines as they pass.
extension PoolHandle {
    /// The first event after `cursor` that matches `filter` — already in the log, or appended
    /// later by any process — or nil once `timeoutMillis` (store clock, from the call) passed
    /// without one: the one-call wait.
    ///
    /// It writes nothing of its own (no wake record, no id to choose) and matches as
    /// ``events(matching:after:)`` does, wake events included. Waiting costs no CPU: it sleeps
    /// on the store's change notifications and the clock. While it waits it records the pool's
    /// deadlines as they pass, as ``wait(_:)`` does — a response timeout, a lease or a claim
    /// running out — so they happen on time without other writes and can be the event it
    /// returns. A deadline due at the timeout is recorded before it gives up. A timeout of 0
    /// looks once; nil waits for as long as it takes.
    ///
    /// ```swift
    /// let reply = try await pool.next(matching: EventFilter(kinds: .oneOf([.message(.responded)]),
    ///                                                       messageIDs: .oneOf(["review-9"])),
    ///                                 since: sent.cursor ?? 0, timeoutMillis: 60_000)
    /// ```
    /// - Throws: `invalidInput` for a negative cursor or timeout, or a filter with a kind no
    ///   record produces (nothing is written); `poolNotFound` (also once the pool is dropped
    ///   while it waits); `cursorCompacted` when `cursor` was compacted away;
    ///   `CancellationError` when the task is cancelled.
    public func next(matching filter: EventFilter = EventFilter(), since cursor: Seq,
                     timeoutMillis: Millis? = nil) async throws -> PoolEvent? {
        try filter.validate(field: "filter")
        return try await firstEvent(since: cursor, timeoutMillis: timeoutMillis) { filter.matches($0) ? 0 : nil }?.event
    }

    /// The first event after `cursor` that matches any of `filters` — already in the log, or
    /// appended later by any process — with the index of the first filter it matched; nil once
    /// `timeoutMillis` passed without one. The one-call any-of wait: everything else is as
    /// ``next(matching:since:timeoutMillis:)``.
    ///
    /// - Throws: `invalidInput` for no filters or more than ``WakeCondition/maxAnyOf``, a filter
    ///   with a kind no record produces (naming `any_of[i]`), a negative cursor or timeout;
    ///   otherwise as ``next(matching:since:timeoutMillis:)``.
    public func next(matchingAnyOf filters: [EventFilter], since cursor: Seq,
                     timeoutMillis: Millis? = nil) async throws -> (event: PoolEvent, matchedFilter: Int)? {
        guard (1...WakeCondition.maxAnyOf).contains(filters.count) else {
            throw AgentPoolError.invalidInput(field: "any_of", "give 1 to \(WakeCondition.maxAnyOf) filters; got \(filters.count)")
        }
        for (index, filter) in filters.enumerated() { try filter.validate(field: "any_of[\(index)]") }
        return try await firstEvent(since: cursor, timeoutMillis: timeoutMillis) { event in
            filters.firstIndex { $0.matches(event) }
        }
    }

    /// The waiting loop of the one-call waits: the first event after `cursor` for which `match`
    /// gives an index, with it; nil at the timeout.
    private func firstEvent(since cursor: Seq, timeoutMillis: Millis?,
                            match: (PoolEvent) -> Int?) async throws -> (event: PoolEvent, matchedFilter: Int)? {
        guard cursor >= 0 else { throw AgentPoolError.invalidInput(field: "since", "cursor must not be negative") }
        if let timeoutMillis { try DurationLimits.check(timeoutMillis, atLeast: 0, field: "timeout_millis") }
        let clock = store.clock
        let deadline = timeoutMillis.map { clock.nowMillis() + $0 }
        var cursor = cursor
        while true {
            let generation = store.changes.generation
            if let found = try await firstEvent(after: &cursor, match: match) { return found }
            try Task.checkCancellation()
            let due = try await recordDueDeadlines()
            if due.swept { continue }  // read on: what the sweep recorded may match
            if let deadline, deadline <= clock.nowMillis() { return nil }
            await idle(after: generation, until: [deadline, due.next].compactMap { $0 }.min())
            try Task.checkCancellation()
        }
    }

    /// The first event after `cursor` that `match` gives an index for, in the log as it is now;
    /// moves `cursor` past every record read.
    /// - Throws: `poolNotFound` (never opened, or dropped meanwhile), `cursorCompacted`.
    private func firstEvent(after cursor: inout Seq, match: (PoolEvent) -> Int?) async throws -> (event: PoolEvent, matchedFilter: Int)? {
        while true {
            let page = try await store.read(poolID) { [cursor] reader in
                _ = try reader.requireInfo()
                return try reader.records(after: cursor, limit: RecordWatch.pageSize)
            }
            for record in page {
                cursor = record.seq
                if let event = PoolEvent(record), let index = match(event) { return (event, index) }
            }
            if page.count < RecordWatch.pageSize { return nil }
        }
    }

    /// Records the pool's deadlines that have passed, in one sweep, when there are any: then
    /// `swept` is true and the caller checks again before sleeping. Otherwise `next` is the
    /// pool's earliest deadline to sleep until, if any.
    func recordDueDeadlines() async throws -> (swept: Bool, next: Millis?) {
        let next = try await nextDeadline()
        guard let next, next <= store.clock.nowMillis() else { return (false, next) }
        try await coordinate { _ in }  // every write sweeps first; this one writes nothing else
        return (true, nil)
    }

    /// Sleeps until the first of: a change to the store after `generation`, `deadline` (store
    /// clock), the task's cancellation. Costs no CPU while it sleeps.
    func idle(after generation: UInt64, until deadline: Millis?) async {
        let changes = store.changes
        let clock = store.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await changes.wait(after: generation) }
            if let deadline {
                group.addTask { try? await clock.sleep(untilMillis: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// The earliest deadline of the pool's delivered and held-back messages, registered wakes,
    /// leases, held claims and released claims' back-offs, if any.
    func nextDeadline() async throws -> Millis? {
        try await store.read(poolID) { [clock = store.clock] reader in
            let message = try reader.dueMessages(at: .max, limit: 1).first?.deadline
            let wake = try reader.dueWakes(at: .max, limit: 1).first?.deadline
            let lease = try reader.dueLeases(at: .max, limit: 1).first?.expiresAt
            let claim = try reader.dueClaims(at: .max, limit: 1).first?.expiresAt
            let retry = try reader.nextRetry(after: clock.nowMillis())
            return [message, wake, lease, claim, retry].compactMap { $0 }.min()
        }
    }
}
