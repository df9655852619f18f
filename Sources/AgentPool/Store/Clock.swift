import Foundation


/// The time source of a store: every appended record is stamped with it, deadlines are compared
/// with it, and waiters sleep on it. Inject ``ManualClock`` in tests.
public protocol AgentPoolClock: Sendable {
    /// The current UTC time in milliseconds.
    func nowMillis() -> Millis
    /// Returns once ``nowMillis()`` is at or past `deadline`; throws `CancellationError` when the
    /// task is cancelled first.
    func sleep(untilMillis deadline: Millis) async throws
}

/// The system's wall clock.
public struct SystemClock: AgentPoolClock {
    /// Creates the system clock.
    public init() {}

    /// The current UTC time in milliseconds.
    public func nowMillis() -> Millis { Millis((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Sleeps until the wall clock reaches `deadline`.
    public func sleep(untilMillis deadline: Millis) async throws {
        while true {
            let remaining = deadline - nowMillis()
            if remaining <= 0 { return }
            try await Task.sleep(for: .milliseconds(remaining))
        }
    }
}

/// A clock that moves only when told to; sleepers wake when it is moved past their deadline.
public final class ManualClock: AgentPoolClock {
    private struct State {
        var now: Millis
        var sleepers: [Int: (deadline: Millis, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID = 0
    }

    private let state: Locked<State>

    /// Starts at `millis`.
    public init(_ millis: Millis = 1_700_000_000_000) { state = Locked(State(now: millis)) }

    /// The clock's time.
    public func nowMillis() -> Millis { state.withLock { $0.now } }

    /// Moves the clock forward by `millis` and wakes the sleepers whose deadline has come.
    public func advance(by millis: Millis) { set(nowMillis() + millis) }

    /// Sets the clock and wakes the sleepers whose deadline has come.
    public func set(_ millis: Millis) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = millis
            let due = state.sleepers.filter { $0.value.deadline <= millis }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many tasks are sleeping on this clock.
    package var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Suspends until the clock is set at or past `deadline`.
    public func sleep(untilMillis deadline: Millis) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.now >= deadline { return .success(()) }
                    state.sleepers[id] = (deadline, continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }
}
