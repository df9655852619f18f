/// Claims: competing consumers take delivered messages one at a time, fenced by a
/// strictly increasing token per message, inside the same atomic write as everything else.
extension Coordination {
    /// The largest page of one key's claim queue read at once. Pages start at one message and
    /// grow: usually the first open message is the one to claim, and each candidate is decoded.
    static let claimPage = 64

    /// Claims the first delivered message in queue order (higher priority first, then the
    /// oldest) that no live claim holds and that `run` may take —
    /// delivered to it, or queued work whose address selects it now — (addressed to `queue` when
    /// given), for `leaseMillis`, unless its address is at its concurrency limit
    /// (``PoolConfig/claimLimits``); nil when there is none. Queued work past its expiry met on
    /// the way becomes a dead letter.
    ///
    /// Reads only the claim queue's keys that `run` may claim from (``ClaimQueue``), merged in
    /// queue order: work for other runs and messages held by live claims are never read. Held
    /// claims that ran out are recorded first (they are out of the queue until then).
    func claimNext(_ run: RunID, from queue: AddressTarget?, leaseMillis: Millis, maxAttempts: Int) throws -> ClaimedMessage? {
        let limits = try tx.requireInfo().config.claimLimits
        guard let member = try tx.member(run) else { throw AgentPoolError.notMember(run, pool: poolID) }
        while case let due = try tx.dueClaims(at: now, limit: Self.sweepBatch), !due.isEmpty {
            for claim in due { _ = try expire(claim: claim) }
        }
        var full: [String: Bool] = [:]  // per limited address: at its limit now (counted once)
        var queues = ClaimQueue.keys(claimableBy: member, from: queue).map { QueueReader(key: $0) }
        while let candidate = try next(from: &queues) {
            let stored = candidate.stored
            if let queue, stored.message.to.target != queue { continue }
            if stored.message.queued {
                guard Self.selects(stored.message, member) else { continue }
                if stored.queueExpired(at: now) {
                    try deadLetter(stored, claim: candidate.claim, reason: "expired")
                    continue
                }
            } else if !stored.receipt.deliveredTo.contains(run) {
                continue
            }
            let target = stored.message.to.target.spelled
            if let cap = limits[target] {
                if full[target] == nil { full[target] = try tx.liveClaimCount(target: target, at: now) >= cap }
                if full[target] == true { continue }
            }
            let previous = candidate.claim
            if previous?.status == .held { continue }  // out of the queue while held; never met
            let claim = MessageClaim(
                messageID: stored.message.messageID, status: .held, runID: run, token: (previous?.token ?? 0) + 1,
                leaseMillis: leaseMillis, expiresAt: now + leaseMillis, expiredCount: previous?.expiredCount ?? 0,
                maxAttempts: maxAttempts)
            try tx.saveClaim(claim)
            return ClaimedMessage(claim: claim, message: stored.message, receipt: stored.receipt)
        }
        return nil
    }

    /// One key's claim queue as ``claimNext(_:from:leaseMillis:maxAttempts:)`` reads it: a
    /// page at a time, from where the last page ended.
    private struct QueueReader {
        let key: String
        var after = ClaimQueuePosition.start
        var page: [ClaimCandidate] = []
        var limit = 1
        var exhausted = false
    }

    /// The next candidate across `queues` in queue order (each key's queue is ordered; this
    /// merges them), reading the next page of a key when its page runs out; nil when all are.
    private func next(from queues: inout [QueueReader]) throws -> ClaimCandidate? {
        var best: Int?
        for index in queues.indices {
            if queues[index].page.isEmpty, !queues[index].exhausted {
                let reader = queues[index]
                let page = try tx.claimCandidates(key: reader.key, at: now, after: reader.after, limit: reader.limit)
                queues[index].page = page.reversed()  // popped from the end
                queues[index].exhausted = page.count < reader.limit
                queues[index].limit = min(reader.limit * 4, Self.claimPage)
                if let last = page.last { queues[index].after = last.position }
            }
            guard let head = queues[index].page.last else { continue }
            if best.map({ head.position < queues[$0].page.last!.position }) ?? true { best = index }
        }
        return best.map { queues[$0].page.removeLast() }
    }

    /// The live claim `run` holds on `id` under `token`; nil when the message was never claimed
    /// and no token was presented.
    ///
    /// - Throws: `staleClaim` when a token is presented for a message never claimed, when the
    ///   message was claimed and no token is presented (the error says where the claim stands),
    ///   or when `token` is not its live claim's current token held by `run`.
    func liveClaim(_ id: MessageID, run: RunID, token: Int64?) throws -> MessageClaim? {
        guard let claim = try tx.claim(id) else {
            if token != nil { throw AgentPoolError.staleClaim(id, run: run, token: token) }
            return nil
        }
        guard let token else { throw AgentPoolError.claimTokenMissing(claim, at: now) }
        return try requireLive(claim, run: run, token: token)
    }

    /// `claim` when it is `run`'s live claim under `token`, else `staleClaim`.
    private func requireLive(_ claim: MessageClaim, run: RunID, token: Int64) throws -> MessageClaim {
        guard claim.accepts(run: run, token: token, at: now) else {
            throw AgentPoolError.staleClaim(claim.messageID, run: run, token: token)
        }
        return claim
    }

    /// The claim record of `id`, or `notFound` (`poolNotFound` when the pool does not exist).
    private func existingClaim(_ id: MessageID) throws -> MessageClaim {
        _ = try tx.requireInfo()
        guard let claim = try tx.claim(id) else {
            throw AgentPoolError.make(.notFound, "message '\(id)' in pool '\(poolID)' was never claimed")
        }
        return claim
    }

    /// The message `id`, or `notFound` (`poolNotFound` when the pool does not exist).
    private func existingMessage(_ id: MessageID) throws -> StoredMessage {
        _ = try tx.requireInfo()
        guard let stored = try tx.message(id) else {
            throw AgentPoolError.make(.notFound, "message '\(id)' does not exist in pool '\(poolID)'")
        }
        return stored
    }

    /// Completes a claimed message: `responded` with reason `completed` (the worker counted among
    /// `responded_by`), and the claim closed. The same call again returns the same receipt.
    func complete(_ id: MessageID, run: RunID, token: Int64) throws -> Receipt {
        let stored = try existingMessage(id)
        let current = try existingClaim(id)
        if current.status == .done, current.runID == run, current.token == token, stored.receipt.reason == "completed" {
            return stored.receipt  // a retry of a completion that committed
        }
        var claim = try requireLive(current, run: run, token: token)
        guard stored.receipt.status == .delivered else {
            throw AgentPoolError.make(.invalidStateTransition, "message '\(id)' is \(stored.receipt.status.rawValue); it cannot be completed")
        }
        var receipt = stored.receipt
        receipt.status = .responded
        receipt.respondedBy = (receipt.respondedBy + [run]).normalizedIDs()
        receipt.reason = "completed"
        let completed = try append(message: StoredMessage(message: stored.message, receipt: receipt), replacing: stored)
        claim.status = .done
        try tx.saveClaim(claim)
        return completed.receipt
    }

    /// Gives a claimed message back: claimable again after `retryAfterMillis` (at once for 0),
    /// not counted as an expired claim. The same call again returns the claim as it is.
    func release(_ id: MessageID, run: RunID, token: Int64, retryAfterMillis: Millis = 0) throws -> MessageClaim {
        let current = try existingClaim(id)
        if current.status == .open, current.runID == run, current.token == token { return current }
        var claim = try requireLive(current, run: run, token: token)
        claim.status = .open
        claim.expiresAt = now + retryAfterMillis  // an open claim's expiry is the end of its back-off
        try tx.saveClaim(claim)
        return claim
    }

    /// Extends a live claim by `leaseMillis` (its own lease when nil) from now.
    func extendClaim(_ id: MessageID, run: RunID, token: Int64, leaseMillis: Millis?) throws -> MessageClaim {
        _ = try tx.requireInfo()
        guard let current = try tx.claim(id) else { throw AgentPoolError.staleClaim(id, run: run, token: token) }
        var claim = try requireLive(current, run: run, token: token)
        if let leaseMillis { claim.leaseMillis = leaseMillis }
        claim.expiresAt = now + claim.leaseMillis
        try tx.saveClaim(claim)
        return claim
    }

    /// A `held` claim ran out (or its holder's member lease did): it is counted, and the message
    /// fails with reason `max_attempts` once ``MessageClaim/maxAttempts`` claims ran out; else it
    /// is claimable again. A message that is no longer `delivered` just closes its claim.
    @discardableResult
    func expire(claim: MessageClaim) throws -> MessageClaim {
        var claim = claim
        guard claim.status == .held else { return claim }
        guard let stored = try tx.message(claim.messageID), stored.receipt.status == .delivered else {
            claim.status = .done
            try tx.saveClaim(claim)
            return claim
        }
        claim.expiredCount += 1
        tally.claimsExpired += 1
        if claim.expiredCount >= claim.maxAttempts {
            return try deadLetter(stored, claim: claim, reason: "max_attempts")
        }
        claim.status = .open
        claim.expiresAt = min(claim.expiresAt, now)  // claimable again at once: no back-off
        try tx.saveClaim(claim)
        return claim
    }

    /// Makes delivered `stored` a dead letter: `failed` with `reason` (`max_attempts`, or
    /// `expired` for queued work whose expiry passed), and its claim record `dead_letter` — a
    /// new one, with token 0 and the sender as its last holder, for work nobody ever claimed.
    @discardableResult
    func deadLetter(_ stored: StoredMessage, claim: MessageClaim?, reason: String) throws -> MessageClaim {
        var receipt = stored.receipt
        receipt.status = .failed
        receipt.reason = reason
        try append(message: StoredMessage(message: stored.message, receipt: receipt), replacing: stored)
        tally.deadLetters += 1
        var claim = claim ?? MessageClaim(messageID: stored.message.messageID, status: .deadLetter, runID: stored.message.from,
                                          token: 0, leaseMillis: 0, expiresAt: now, maxAttempts: 0)
        claim.status = .deadLetter
        try tx.saveClaim(claim)
        return claim
    }

    /// Dead letters: messages failed with reason `max_attempts` and not yet re-sent, by id.
    static func deadLetters(_ reader: any PoolReader) throws -> [ClaimedMessage] {
        try reader.claims(status: .deadLetter, run: nil).compactMap { claim in
            try reader.message(claim.messageID).map { ClaimedMessage(claim: claim, message: $0.message, receipt: $0.receipt) }
        }
    }

    /// Re-sends dead letter `id` as a new message — id `<id>-resent`, idempotency key
    /// `<key>-resent`, an expiry that has passed dropped, otherwise the same — and marks the dead
    /// letter `resent`. Sending it again returns the new message's receipt and writes nothing.
    func resend(_ id: MessageID) throws -> Receipt {
        let stored = try existingMessage(id)
        var claim = try existingClaim(id)
        if claim.status == .resent, let replacement = claim.resentAs, let copy = try tx.message(replacement) {
            return copy.receipt
        }
        guard claim.status == .deadLetter else {
            throw AgentPoolError.make(.invalidStateTransition, "message '\(id)' is not a dead letter (its claim is \(claim.status.rawValue))")
        }
        var copy = stored.message
        copy.messageID = "\(id)-resent"
        copy.idempotencyKey = "\(stored.message.idempotencyKey)-resent"
        if let expiry = copy.expiresAtMillis, expiry <= now { copy.expiresAtMillis = nil }
        try IDValidation.check(copy.messageID, field: "message_id")
        try IDValidation.check(copy.idempotencyKey, field: "idempotency_key")
        let receipt = try send(copy)
        claim.status = .resent
        claim.resentAs = copy.messageID
        try tx.saveClaim(claim)
        return receipt
    }
}
