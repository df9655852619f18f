/// The messages a worker claims, one at a time, for as long as it iterates: the worker loop that
/// cannot strand work.
///
/// Each step claims the oldest claimable message (``PoolHandle/claimNext(_:from:leaseMillis:maxAttempts:)``);
/// when there is none it sleeps, at no CPU, until something may have become claimable — a
/// delivery or a release by any process, or the pool's next deadline: a claim or a member lease
/// running out (a crashed worker's task comes back), a response timeout — and claims again. Every
/// step sweeps what is due first. Cancelling the iterating task ends the stream promptly (the
/// iterator then returns nil).
///
/// ```swift
/// for try await task in pool.claims("worker-1", from: .topic("tasks"), leaseMillis: 30_000) {
///     try await work(on: task.message)
///     try await pool.complete(task.message.messageID, run: "worker-1", token: task.claim.token)
/// }
/// ```
public struct ClaimStream: AsyncSequence, Sendable {
    /// A claimed message with its claim (the fencing token to complete, reply or release with).
    public typealias Element = ClaimedMessage

    let pool: PoolHandle
    let run: RunID
    let queue: AddressTarget?
    let leaseMillis: Millis
    let maxAttempts: Int

    /// Claims the next message, waiting for one as long as it takes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: ClaimStream

        /// The next claimed message; nil once the task is cancelled.
        ///
        /// - Throws: what ``PoolHandle/claimNext(_:from:leaseMillis:maxAttempts:)`` throws
        ///   (`notMember` once the run left or its lease ran out).
        public mutating func next() async throws -> ClaimedMessage? {
            let pool = stream.pool
            while !Task.isCancelled {
                let generation = pool.store.changes.generation
                if let claimed = try await pool.claimNext(stream.run, from: stream.queue, leaseMillis: stream.leaseMillis,
                                                          maxAttempts: stream.maxAttempts) {
                    return claimed
                }
                let deadline: Millis?
                do {
                    deadline = try await pool.nextDeadline()
                } catch is CancellationError {
                    return nil  // a backend read that honours cancellation ended; nothing was claimed
                }
                if let deadline, deadline <= pool.store.clock.nowMillis() { continue }  // due now: the next claim sweeps it
                await pool.idle(after: generation, until: deadline)
            }
            return nil
        }
    }

    /// An iterator over the stream.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}

extension PoolHandle {
    /// The messages `run` claims, one at a time, waiting at no CPU while nothing is claimable
    /// (see ``ClaimStream``): addressed to `queue` when given, each claimed for `leaseMillis`.
    ///
    /// - Throws: `invalidInput` for a malformed run or queue, a lease below 1 ms or `maxAttempts`
    ///   below 1 (checked here, before anything is claimed).
    public func claims(_ run: RunID, from queue: AddressTarget? = nil, leaseMillis: Millis,
                       maxAttempts: Int = 3) throws -> ClaimStream {
        try Self.checkClaimArguments(run, queue, leaseMillis, maxAttempts)
        return ClaimStream(pool: self, run: run, queue: queue, leaseMillis: leaseMillis, maxAttempts: maxAttempts)
    }
}
