/// The coordination rules for messages and wakes, applied inside ONE write transaction.
///
/// Every operation here reads, checks and appends through the same ``PoolWriter``; the store
/// commits all of it or none. Each appended record is evaluated against the registered wakes in
/// the same transaction (``append(message:)`` / ``append(wake:)``), so a matched wake can never be
/// left untriggered by a crash.
final class Coordination {
    let tx: any PoolWriter
    /// The registered wakes, loaded on first use and kept current as this transaction changes them.
    private var registered: [StoredWake]?
    /// What this transaction expired or dead-lettered, reported to metrics once it commits.
    var tally = CoordinationTally()
    /// Messages that became final in this transaction whose dependents are still to be
    /// resolved, and whether the loop resolving them is running (it runs once, outermost: a
    /// chain of dependencies is resolved iteratively, not by recursion).
    private var finishedDependencies: [StoredMessage] = []
    private var resolvingDependents = false

    /// Most deadlines swept per write; the rest go to the next writes.
    static let sweepBatch = 64

    init(_ tx: any PoolWriter) { self.tx = tx }

    var now: Millis { tx.now }
    var poolID: PoolID { tx.poolID }

    // MARK: Appends that trigger wakes

    /// Records a message status with the receipt's cursor set, then triggers matching wakes.
    /// `previous` is the message's state in this transaction (nil for a new message, whose key the
    /// caller has checked). Returns what was stored.
    @discardableResult
    func append(message stored: StoredMessage, replacing previous: StoredMessage?) throws -> StoredMessage {
        var stored = stored
        stored.receipt.cursor = try tx.nextSeq()
        if let record = try tx.appendMessage(stored, replacing: previous) { try trigger(by: record) }
        if stored.receipt.status.isFinal, !(previous?.receipt.status.isFinal ?? false) {
            try resolveDependents(of: stored)
        }
        return stored
    }

    /// Records a wake status replacing `previous` (nil for a new wake); wake events never
    /// trigger wakes.
    @discardableResult
    func append(wake stored: StoredWake, replacing previous: StoredWake?) throws -> Registration {
        _ = try tx.appendWake(stored, replacing: previous)
        let id = stored.condition.conditionID
        if stored.registration.status == .registered {
            registered?.append(stored)
        } else {
            registered?.removeAll { $0.condition.conditionID == id }
        }
        return stored.registration
    }

    /// Appends a record that is neither a message nor a wake status, then triggers matching wakes.
    func append(other record: PoolRecord?) throws {
        if let record { try trigger(by: record) }
    }

    private func registeredWakes() throws -> [StoredWake] {
        if let registered { return registered }
        let loaded = try tx.registeredWakes()
        registered = loaded
        return loaded
    }

    /// Triggers every registered wake whose compiled filter matches `record`'s event.
    private func trigger(by record: PoolRecord) throws {
        guard let event = PoolEvent(record), !event.isWakeEvent else { return }
        for wake in try registeredWakes() {
            guard let matched = wake.match(event) else { continue }
            // Past its deadline (a sweep batch may not have reached it yet): it timed out first.
            if let deadline = wake.deadline, deadline <= now {
                try finish(wake, as: .timedOut, reason: "deadline")
                continue
            }
            var registration = wake.registration
            registration.status = .triggered
            registration.matchingCursor = event.cursor
            registration.matchedFilter = matched
            try append(wake: wake.with(registration), replacing: wake)
        }
    }

    // MARK: Sweeping deadlines

    /// Times out overdue wakes and delivered messages whose response deadline passed.
    func sweep() throws {
        guard try tx.info() != nil, try tx.hasDue(at: now) else { return }
        for lease in try tx.dueLeases(at: now, limit: Self.sweepBatch) {
            try expire(lease.runID)
        }
        for wake in try tx.dueWakes(at: now, limit: Self.sweepBatch) {
            try finish(wake, as: .timedOut, reason: "deadline")
        }
        for stored in try tx.dueMessages(at: now, limit: Self.sweepBatch) {
            if stored.receipt.status == .accepted {
                try release(heldBack: stored)
                continue
            }
            if stored.queueExpired(at: now) {
                try deadLetter(stored, claim: try tx.claim(stored.message.messageID), reason: "expired")
                continue
            }
            var receipt = stored.receipt
            receipt.status = .timedOut
            receipt.reason = "response_timeout"
            try append(message: StoredMessage(message: stored.message, receipt: receipt), replacing: stored)
        }
        for claim in try tx.dueClaims(at: now, limit: Self.sweepBatch) {
            try expire(claim: claim)
        }
    }

    /// Moves a registered wake to a final status (first terminal wins: a final wake is returned as is).
    @discardableResult
    func finish(_ wake: StoredWake, as status: WakeStatus, reason: String? = nil) throws -> Registration {
        guard wake.registration.status == .registered else { return wake.registration }
        var registration = wake.registration
        registration.status = status
        registration.reason = reason
        return try append(wake: wake.with(registration), replacing: wake)
    }

    // MARK: Membership

    /// Adds or replaces a member; with `leaseMillis` it must heartbeat within that time, without
    /// it the member never expires (a lease it had is dropped).
    func join(_ member: Member, leaseMillis: Millis?) throws -> Seq {
        try append(other: try tx.join(member))
        if let leaseMillis {
            try tx.saveLease(MemberLease(runID: member.runID, leaseMillis: leaseMillis, expiresAt: now + leaseMillis))
        } else {
            try tx.removeLease(member.runID)
        }
        return try tx.requireInfo().cursor
    }

    /// Renews `run`'s lease; nil when it joined without one (nothing to renew, nothing written).
    func heartbeat(_ run: RunID) throws -> Millis? {
        _ = try tx.requireInfo()
        guard try tx.isMember(run) else { throw AgentPoolError.notMember(run, pool: poolID) }
        guard var lease = try tx.lease(run) else { return nil }
        lease.expiresAt = now + lease.leaseMillis
        try tx.saveLease(lease)
        return lease.expiresAt
    }

    /// Removes a member whose lease ran out: `member_left` (reason `lease_expired`) and, in the
    /// same transaction, its registered wakes cancelled.
    private func expire(_ run: RunID) throws {
        guard try tx.isMember(run) else {
            try tx.removeLease(run)
            return
        }
        try append(other: try tx.leave(run, reason: "lease_expired"))
        tally.leasesExpired += 1
        for wake in try registeredWakes() where wake.condition.runID == run {
            try finish(wake, as: .cancelled, reason: "lease_expired")
        }
        // Its claims count as run out: another worker may claim the messages (or they dead-letter).
        for claim in try tx.claims(status: .held, run: run) {
            try expire(claim: claim)
        }
    }

    /// Removes a member; the claims it holds are released (claimable again, not counted as expired).
    func leave(_ run: RunID) throws -> Seq {
        try append(other: try tx.leave(run))
        for var claim in try tx.claims(status: .held, run: run) {
            claim.status = .open
            claim.expiresAt = now  // an open claim's expiry is the end of its back-off: none
            try tx.saveClaim(claim)
        }
        return try tx.requireInfo().cursor
    }

    func markCreated() throws -> Seq {
        try append(other: try tx.markCreated())
        return try tx.requireInfo().cursor
    }

    // MARK: Messages

    /// The dedupe check that comes first: the existing receipt for the same message, nil for a
    /// new one, `idempotencyConflict` otherwise.
    private func deduplicate(_ message: Message) throws -> Receipt? {
        try repeated(message, key: message.idempotencyKey, id: message.messageID, names: ("message", "message"),
                     byKey: { try tx.message(forKey: $0) }, byID: { try tx.message($0) },
                     stored: { ($0.message, $0.message.messageID) })?.receipt
    }

    /// The idempotency rule of sends and wake registrations: what `key` already names when it
    /// holds `value` itself (a repeat, which writes nothing), nil when neither `key` nor `id` is
    /// used yet.
    ///
    /// - Throws: `idempotencyConflict` when `key` names something else, or `id` is already used
    ///   under another key; `names` says what (`noun`) and whose id (`id`) in the message.
    private func repeated<Stored, Value: Equatable>(
        _ value: Value, key: IdempotencyKey, id: String, names: (noun: String, id: String),
        byKey: (IdempotencyKey) throws -> Stored?, byID: (String) throws -> Stored?,
        stored: (Stored) -> (value: Value, id: String)
    ) throws -> Stored? {
        if let existing = try byKey(key) {
            let (storedValue, storedID) = stored(existing)
            guard storedValue == value else {
                throw AgentPoolError.make(.idempotencyConflict,
                    "idempotency key '\(key)' is already used by a different \(names.noun) ('\(storedID)')")
            }
            return existing
        }
        if try byID(id) != nil {
            throw AgentPoolError.make(.idempotencyConflict,
                "\(names.id) id '\(id)' is already used under another idempotency key")
        }
        return nil
    }

    func send(_ message: Message) throws -> Receipt {
        let message = message.normalized()
        let info = try tx.requireInfo()
        if let body = message.body {
            try JSONLimits.checkSize(body, atMost: info.config.messagePolicy.maxBodyBytes, field: "message.body",
                                     hint: "the pool's message_policy.max_body_bytes")
        }
        if let receipt = try deduplicate(message) { return receipt }
        guard try tx.isMember(message.from) else { throw AgentPoolError.notMember(message.from, pool: poolID) }
        if case .pool(let target) = message.to.target, target != poolID {
            throw AgentPoolError.invalidInput(field: "message.to.target.pool_id",
                "message addresses pool '\(target)' but is sent in pool '\(poolID)'")
        }
        let id = message.messageID
        if let expiry = message.expiresAtMillis, expiry <= now {
            return try append(message: StoredMessage(message: message, receipt: Receipt(messageID: id, status: .expired)), replacing: nil).receipt
        }
        let missing = Set(info.config.messagePolicy.requiredPolicyRefs).subtracting(message.policyRefs)
        if !missing.isEmpty {
            return try append(message: StoredMessage(message: message, receipt: Receipt(
                messageID: id, status: .failed, reason: "missing_required_policy_refs: \(missing.normalizedIDs().joined(separator: ","))")),
                replacing: nil).receipt
        }
        var waitingFor: [MessageID] = []
        for dependency in message.after {
            guard let stored = try tx.message(dependency) else {
                throw AgentPoolError.invalidInput(field: "message.after",
                    "message '\(id)' waits for message '\(dependency)', which does not exist in pool '\(poolID)'; send it first")
            }
            switch stored.receipt.status {
            case .responded: continue
            case .accepted, .delivered: waitingFor.append(dependency)
            default:
                return try append(message: StoredMessage(message: message, receipt: Receipt(
                    messageID: id, status: .failed, reason: Self.dependencyFailed(stored))), replacing: nil).receipt
            }
        }
        if !waitingFor.isEmpty || (message.notBeforeMillis ?? now) > now {
            // Held back: recorded now, delivered by the write that finds it due (see release(heldBack:)).
            return try append(message: StoredMessage(message: message, receipt: Receipt(
                messageID: id, status: .accepted, waitingFor: waitingFor)), replacing: nil).receipt
        }
        // Queued work waits for whoever the address selects at claim time: no recipients now.
        let recipients = message.queued ? [] : try resolveRecipients(message, config: info.config)
        if recipients.isEmpty, !message.queued {
            return try append(message: StoredMessage(message: message, receipt: Receipt(messageID: id, status: .failed, reason: "no_recipient")),
                              replacing: nil).receipt
        }
        let accepted = try append(message: StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted)), replacing: nil)
        return try deliver(accepted, to: recipients)
    }

    /// Records accepted message `accepted` as delivered to `recipients` (none for queued work),
    /// its response deadline counted from now.
    private func deliver(_ accepted: StoredMessage, to recipients: [RunID]) throws -> Receipt {
        let deadline = accepted.message.responseContract?.timeoutMillis.map { now + $0 }
        return try append(message: StoredMessage(message: accepted.message, receipt: Receipt(
            messageID: accepted.message.messageID, status: .delivered, deliveredTo: recipients,
            responseDeadlineMillis: deadline)), replacing: accepted).receipt
    }

    /// The failure reason of a message whose dependency `dependency` ended other than responded.
    private static func dependencyFailed(_ dependency: StoredMessage) -> String {
        "dependency_failed: \(dependency.message.messageID) is \(dependency.receipt.status.rawValue)"
    }

    /// Moves a held-back message on once it is due and waits for nothing: delivered to the
    /// members its address selects now (failed `no_recipient` when none), or expired when its
    /// expiry came first. A message still held back is left as it is.
    private func release(heldBack stored: StoredMessage) throws {
        if let expiry = stored.message.expiresAtMillis, expiry <= now {
            var receipt = stored.receipt
            receipt.status = .expired
            receipt.reason = "expired_before_delivery"
            receipt.waitingFor = []
            try append(message: StoredMessage(message: stored.message, receipt: receipt), replacing: stored)
            return
        }
        guard !stored.isHeldBack(at: now) else { return }
        let message = stored.message
        let recipients = message.queued ? [] : try resolveRecipients(message, config: try tx.requireInfo().config)
        if recipients.isEmpty, !message.queued {
            try append(message: StoredMessage(message: message, receipt: Receipt(
                messageID: message.messageID, status: .failed, reason: "no_recipient")), replacing: stored)
            return
        }
        _ = try deliver(stored, to: recipients)
    }

    /// Resolves what waits for `finished`, which just became final: each dependent stops waiting
    /// for it when it was responded (and is released once it waits for nothing and is due), or
    /// fails with `dependency_failed` otherwise — which in turn resolves its own dependents.
    /// Iterative across a chain: only the outermost call loops.
    private func resolveDependents(of finished: StoredMessage) throws {
        finishedDependencies.append(finished)
        guard !resolvingDependents else { return }
        resolvingDependents = true
        defer { resolvingDependents = false }
        while !finishedDependencies.isEmpty {
            let dependency = finishedDependencies.removeFirst()
            let id = dependency.message.messageID
            for dependent in try tx.dependents(of: id) where dependent.receipt.waitingFor.contains(id) {
                var receipt = dependent.receipt
                receipt.waitingFor.removeAll { $0 == id }
                if dependency.receipt.status != .responded {
                    receipt.status = .failed
                    receipt.reason = Self.dependencyFailed(dependency)
                    receipt.waitingFor = []
                }
                let next = try append(message: StoredMessage(message: dependent.message, receipt: receipt), replacing: dependent)
                if next.receipt.status == .accepted { try release(heldBack: next) }
            }
        }
    }

    /// The members the address selects, minus the sender of a pool broadcast
    /// unless the policy includes it, keeping those holding every policy ref the message carries.
    private func resolveRecipients(_ message: Message, config: PoolConfig) throws -> [RunID] {
        let candidates: [Member]
        switch message.to.target {
        case .run(let run) where message.policyRefs.isEmpty:
            return try tx.isMember(run) ? [run] : []  // no refs to check: existence is enough
        case .run(let run): candidates = try tx.member(run).map { [$0] } ?? []
        case .agent(let agent): candidates = try tx.members(ofAgent: agent)
        case .topic(let topic): candidates = try tx.members(inTopic: topic)
        case .pool:
            let includeSender = config.messagePolicy.includeSenderInPoolBroadcast
            candidates = try tx.members().filter { includeSender || $0.runID != message.from }
        }
        let carried = Set(message.policyRefs)
        return candidates.filter { carried.isSubset(of: $0.policyRefs) }.map(\.runID).normalizedIDs()
    }

    /// Whether queued `message` may be claimed by `member` now: its address selects the member
    /// (the run, a run of the agent, a subscriber of the topic, any member of the pool) and the
    /// member holds every policy ref the message carries.
    static func selects(_ message: Message, _ member: Member) -> Bool {
        let addressed = switch message.to.target {
        case .run(let run): member.runID == run
        case .agent(let agent): member.agentID == agent
        case .topic(let topic): member.topics.contains(topic)
        case .pool: true
        }
        return addressed && Set(message.policyRefs).isSubset(of: member.policyRefs)
    }

    /// `claimToken` is required once the original was ever claimed: it must be the
    /// replier's live claim's current token, else `staleClaim`.
    func reply(to originalID: MessageID, with message: Message, claimToken: Int64? = nil) throws -> Receipt {
        var message = message.normalized()
        if let replyTo = message.replyTo, replyTo != originalID {
            throw AgentPoolError.invalidInput(field: "message.reply_to", "reply_to is '\(replyTo)' but the reply answers '\(originalID)'")
        }
        message.replyTo = originalID
        if message.notBeforeMillis != nil || !message.after.isEmpty {
            throw AgentPoolError.invalidInput(field: message.notBeforeMillis != nil ? "message.not_before_millis" : "message.after",
                "a reply is delivered at once; it cannot be scheduled or wait for other messages")
        }
        _ = try tx.requireInfo()
        if let receipt = try deduplicate(message) { return receipt }
        guard let original = try tx.message(originalID) else {
            throw AgentPoolError.make(.notFound, "message '\(originalID)' does not exist in pool '\(poolID)'")
        }
        if original.message.queued {
            // Queued work is answered by the run holding its claim (run and token checked below:
            // anyone else is `staleClaim`); work nobody claimed yet takes no reply.
            guard try tx.claim(originalID) != nil else {
                throw AgentPoolError.invalidInput(field: "message.from",
                    "run '\(message.from)' has not claimed queued message '\(originalID)'; claim it first, then reply with its token")
            }
        } else if !original.receipt.deliveredTo.contains(message.from) {
            throw AgentPoolError.invalidInput(field: "message.from", "run '\(message.from)' is not a recipient of message '\(originalID)'")
        }
        guard original.receipt.status == .delivered || original.receipt.status == .responded else {
            throw AgentPoolError.make(.invalidStateTransition, "message '\(originalID)' is \(original.receipt.status.rawValue); it takes no reply")
        }
        if let deadline = original.deadline, deadline <= now {
            // Its response deadline passed: it is timed out (the next sweep records it), not answerable.
            throw AgentPoolError.make(.invalidStateTransition, "message '\(originalID)' passed its response deadline; it takes no reply")
        }
        let claim = try liveClaim(originalID, run: message.from, token: claimToken)
        let receipt = try send(message)
        var status = original.receipt.status
        if original.receipt.status == .delivered, !original.receipt.respondedBy.contains(message.from) {
            var counted = original.receipt
            counted.respondedBy = (counted.respondedBy + [message.from]).normalizedIDs()
            let expected = original.message.responseContract?.expectedResponses ?? 1
            if counted.respondedBy.count >= expected { counted.status = .responded }
            status = counted.status
            try append(message: StoredMessage(message: original.message, receipt: counted), replacing: original)
        }
        if var claim {
            // Answered: the claim closes; while more replies are expected the message is claimable again.
            claim.status = status == .delivered ? .open : .done
            claim.expiresAt = min(claim.expiresAt, now)  // claimable again at once
            try tx.saveClaim(claim)
        }
        return receipt
    }

    func cancel(_ id: MessageID) throws -> Receipt {
        guard let stored = try tx.message(id) else {
            throw AgentPoolError.make(.notFound, "message '\(id)' does not exist in pool '\(poolID)'")
        }
        guard !stored.receipt.status.isFinal else { return stored.receipt }
        var receipt = stored.receipt
        receipt.status = .cancelled
        return try append(message: StoredMessage(message: stored.message, receipt: receipt), replacing: stored).receipt
    }

    // MARK: Wakes

    func suspendUntil(_ condition: WakeCondition, since: Seq?) throws -> Registration {
        let condition = condition.normalized()
        let info = try tx.requireInfo()
        if let existing = try repeated(condition, key: condition.idempotencyKey, id: condition.conditionID,
                                       names: ("wake condition", "condition"),
                                       byKey: { try tx.wake(forKey: $0) }, byID: { try tx.wake($0) },
                                       stored: { ($0.condition, $0.condition.conditionID) }) {
            return existing.registration
        }
        guard try tx.isMember(condition.runID) else { throw AgentPoolError.notMember(condition.runID, pool: poolID) }
        let members = try tx.members()
        let compiled = CompiledFilter.compile(condition.filter, members: members, config: info.config)
        let alternatives = condition.anyOf.map { CompiledFilter.compile($0, members: members, config: info.config) }
        let registration = Registration(conditionID: condition.conditionID, runID: condition.runID, status: .registered,
                                        deadlineMillis: condition.timeoutMillis.map { now + $0 })
        let wake = StoredWake(condition: condition, compiledFilter: compiled, registration: registration, compiledAnyOf: alternatives)
        try append(wake: wake, replacing: nil)
        if condition.timeoutMillis == 0 {
            return try finish(wake, as: .timedOut, reason: "deadline")
        }
        if let since, let (cursor, matched) = try firstMatch(of: wake, after: since) {
            var triggered = registration
            triggered.status = .triggered
            triggered.matchingCursor = cursor
            triggered.matchedFilter = matched
            return try append(wake: wake.with(triggered), replacing: wake)
        }
        return registration
    }

    /// The cursor of the first non-wake event after `since` that `wake` matches, and which of its
    /// alternatives matched (see ``StoredWake/match(_:)``).
    private func firstMatch(of wake: StoredWake, after since: Seq) throws -> (Seq, Int?)? {
        var cursor = since
        while true {
            let page = try tx.records(after: cursor, limit: 256)
            for record in page {
                if let event = PoolEvent(record), !event.isWakeEvent, let matched = wake.match(event) { return (record.seq, matched) }
            }
            guard let last = page.last else { return nil }
            cursor = last.seq
        }
    }

    func cancelWake(_ id: ConditionID) throws -> Registration {
        guard let wake = try tx.wake(id) else {
            throw AgentPoolError.make(.notFound, "wake condition '\(id)' does not exist in pool '\(poolID)'")
        }
        return try finish(wake, as: .cancelled)
    }

    /// The wake's registration, timing it out first when its deadline has passed (the waiter
    /// records the timeout itself; a race with another process resolves by first terminal wins).
    func pollWake(_ id: ConditionID) throws -> Registration {
        guard let wake = try tx.wake(id) else {
            throw AgentPoolError.make(.notFound, "wake condition '\(id)' does not exist in pool '\(poolID)'")
        }
        if let deadline = wake.deadline, deadline <= now {
            return try finish(wake, as: .timedOut, reason: "deadline")
        }
        return wake.registration
    }
}
