/// Claims: competing consumers.
///
/// A worker calls ``claimNext(_:from:leaseMillis:maxAttempts:)`` to take the oldest message
/// delivered or queued to it that no live claim holds, then ``complete(_:run:token:)``,
/// ``reply(to:with:claimToken:)`` or ``release(_:run:token:)`` it with the claim's fencing token.
/// A worker that stops before its claim runs out loses it; the next worker gets a higher token,
/// and the old token is refused with `staleClaim` (nothing written). After `maxAttempts` claims
/// ran out, the message fails with reason `max_attempts`: a dead letter, listed by
/// ``deadLetters()`` and re-sent by ``resend(_:)``.
extension PoolHandle {
    /// Claims the oldest delivered message that no live claim holds and that `run` may take —
    /// delivered to `run`, or queued work (``Message/queued``) whose address selects `run` now —
    /// addressed to `queue` when given (e.g. `.topic("tasks")`), for `leaseMillis`, with a
    /// fencing token higher than any this message had; nil when there is none. Atomic across
    /// threads and processes: two callers never hold the same message at once.
    ///
    /// - Throws: `notMember`; `invalidInput` for a lease below 1 ms or `maxAttempts` below 1.
    public func claimNext(_ run: RunID, from queue: AddressTarget? = nil, leaseMillis: Millis,
                          maxAttempts: Int = 3) async throws -> ClaimedMessage? {
        try Self.checkClaimArguments(run, queue, leaseMillis, maxAttempts)
        return try await coordinate { try $0.claimNext(run, from: queue, leaseMillis: leaseMillis, maxAttempts: maxAttempts) }
    }

    /// The checks of a claim's arguments: a valid run and queue, a lease of at least 1 ms, at
    /// least one attempt.
    static func checkClaimArguments(_ run: RunID, _ queue: AddressTarget?, _ leaseMillis: Millis, _ maxAttempts: Int) throws {
        try IDValidation.check(run, field: "run_id")
        if let queue { try Address(target: queue).validate(field: "from") }
        try DurationLimits.check(leaseMillis, atLeast: 1, field: "lease_millis")
        guard maxAttempts >= 1 else { throw AgentPoolError.invalidInput(field: "max_attempts", "max_attempts must be at least 1") }
    }

    /// Completes a claimed message: it becomes `responded` with reason `completed` and the
    /// claim closes. Repeating a completion that committed returns the same receipt.
    ///
    /// - Throws: `staleClaim` unless `token` is `run`'s live claim on it; `notFound`;
    ///   `invalidStateTransition` when the message is no longer delivered. Nothing is written.
    @discardableResult
    public func complete(_ messageID: MessageID, run: RunID, token: Int64) async throws -> Receipt {
        try IDValidation.check(messageID, field: "message_id")
        try IDValidation.check(run, field: "run_id")
        return try await coordinate { try $0.complete(messageID, run: run, token: token) }
    }

    /// Gives a claimed message back, not counted toward `maxAttempts`: claimable again at once,
    /// or with `retryAfterMillis` only once that back-off has passed (a claim stream sleeps until
    /// then; the claim's `expires_at` is the end of the back-off).
    ///
    /// - Throws: `staleClaim` unless `token` is `run`'s live claim on it; `notFound`;
    ///   `invalidInput` for a back-off below 0 or above ten years. Nothing is written then.
    @discardableResult
    public func release(_ messageID: MessageID, run: RunID, token: Int64, retryAfterMillis: Millis = 0) async throws -> MessageClaim {
        try IDValidation.check(messageID, field: "message_id")
        try IDValidation.check(run, field: "run_id")
        try DurationLimits.check(retryAfterMillis, atLeast: 0, field: "retry_after_millis")
        return try await coordinate { try $0.release(messageID, run: run, token: token, retryAfterMillis: retryAfterMillis) }
    }

    /// Extends a live claim to now + `leaseMillis` (its own lease when nil), for long work.
    ///
    /// - Throws: `staleClaim` unless `token` is `run`'s live claim on it.
    @discardableResult
    public func extendClaim(_ messageID: MessageID, run: RunID, token: Int64, leaseMillis: Millis? = nil) async throws -> MessageClaim {
        try IDValidation.check(messageID, field: "message_id")
        try IDValidation.check(run, field: "run_id")
        if let leaseMillis { try DurationLimits.check(leaseMillis, atLeast: 1, field: "lease_millis") }
        return try await coordinate { try $0.extendClaim(messageID, run: run, token: token, leaseMillis: leaseMillis) }
    }

    /// Message `messageID`'s claim record, if it was ever claimed.
    public func claim(_ messageID: MessageID) async throws -> MessageClaim? {
        try IDValidation.check(messageID, field: "message_id")
        return try await store.read(poolID) { try $0.claim(messageID) }
    }

    /// Claims currently held (by `run` when given), sorted by message id.
    public func heldClaims(run: RunID? = nil) async throws -> [MessageClaim] {
        if let run { try IDValidation.check(run, field: "run_id") }
        return try await store.read(poolID) { reader in
            _ = try reader.requireInfo()
            return try reader.claims(status: .held, run: run)
        }
    }

    /// Dead letters: messages failed with reason `max_attempts` and not re-sent yet, by id.
    public func deadLetters() async throws -> [ClaimedMessage] {
        try await store.read(poolID) { reader in
            _ = try reader.requireInfo()
            return try Coordination.deadLetters(reader)
        }
    }

    /// Re-sends dead letter `messageID` as a new message (id `<id>-resent`, key `<key>-resent`)
    /// from the same sender to the same address, and returns its receipt. Repeating it returns
    /// the same receipt and writes nothing.
    ///
    /// - Throws: `notFound`; `invalidStateTransition` when the message is not a dead letter;
    ///   whatever ``send(_:)`` throws (the sender must still be a member).
    @discardableResult
    public func resend(_ messageID: MessageID) async throws -> Receipt {
        try IDValidation.check(messageID, field: "message_id")
        return try await coordinate { try $0.resend(messageID) }
    }
}
