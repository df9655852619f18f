import AgentPool
import Testing

/// Waits until `condition` holds, polling it (a yield, then a millisecond's sleep, between
/// polls), for at most `limit`: the bounded way for a test to wait for state another task or
/// process brings about (a waiter parked, a file created).
///
/// Polling a condition with a deadline, not sleeping for a guessed time: it returns as soon as
/// the condition holds. When the deadline passes first it records an issue naming `what` and
/// throws, so that a broken build fails the test instead of hanging it.
///
/// The default bound is generous on purpose: with the whole suite running on two busy cores,
/// calls that block a cooperative thread (synchronous store opens and closes) have starved every
/// task, this poller and the awaited one alike, for more than 30 seconds.
///
/// ```swift
/// try await eventually("a waiter registered") { store.changes.waiterCount > 0 }
/// ```
public func eventually(within limit: Duration = .seconds(300), _ what: String,
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out after \(limit) waiting until \(what)", sourceLocation: sourceLocation)
            throw TimedOut(what: what, limit: limit)
        }
        await Task.yield()
        try await Task.sleep(for: .milliseconds(1))
    }
}

/// Thrown by ``eventually(within:_:sourceLocation:_:)`` when its condition did not come to hold in time.
public struct TimedOut: Error, CustomStringConvertible {
    /// The awaited state.
    public let what: String
    /// How long it was awaited.
    public let limit: Duration

    /// `timed out after <limit> waiting until <what>`.
    public var description: String { "timed out after \(limit) waiting until \(what)" }
}

/// Waits for `task`'s value (or error) for at most `limit`: the bounded way for a test to await
/// what another task computes (a waiter's result).
///
/// When the limit passes first it cancels `task`, records an issue naming `what` and throws
/// ``TimedOut``, like ``eventually(within:_:sourceLocation:_:)``, instead of hanging the test
/// on a task that never ends.
///
/// ```swift
/// let waiter = Task { try await pool.next(matching: filter, since: cursor) }
/// let event = try await boundedValue(of: waiter, "the waiter's event")
/// ```
public func boundedValue<T: Sendable>(of task: Task<T, any Error>, within limit: Duration = .seconds(300), _ what: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> T {
    let outcome = Locked<Result<T, any Error>?>(nil)
    let collector = Task { let result = await task.result; outcome.withLock { $0 = result } }
    defer { collector.cancel() }
    do {
        try await eventually(within: limit, what, sourceLocation: sourceLocation) { outcome.withLock { $0 } != nil }
    } catch {
        task.cancel()
        throw error
    }
    return try outcome.withLock { $0 }!.get()
}
