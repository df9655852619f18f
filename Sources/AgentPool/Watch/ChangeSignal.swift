

/// A counter of "the database may have changed" notifications that tasks can wait on.
///
/// A store owns one and bumps it after its own writes and whenever its change detection (a file
/// notification, a safety poll, a server notification) fires; every watcher and waiter of the
/// store shares it. Waiters take a ``generation`` before checking the state and then wait for a
/// later one, so a change between the check and the wait is never missed. Notifications may be
/// spurious: waiters always re-check.
public final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
        var closed = false
    }

    private let state = Locked(State())
    private let waitHandler = Locked<(@Sendable () -> Void)?>(nil)

    /// Creates a signal at generation 0.
    public init() {}

    /// Sets a handler called each time a task starts waiting: a backend arms its change
    /// detection on demand with it, so that a store nobody waits on pays nothing for it.
    public func onWait(_ handler: @escaping @Sendable () -> Void) {
        waitHandler.withLock { $0 = handler }
    }

    /// The current generation.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Moves to the next generation and resumes every waiter.
    public func notify() {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for continuation in resumed { continuation.resume() }
    }

    /// Returns once the generation is past `generation`, or when the task is cancelled.
    public func wait(after generation: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.generation != generation || state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow {
                    continuation.resume()
                } else {
                    waitHandler.withLock { $0 }?()
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Ends all waiting for good (the store closed): resumes every waiter, and later waits return
    /// at once, so that watchers and waiters read again and get the store's "closed" error.
    public func close() {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for continuation in resumed { continuation.resume() }
    }

    /// How many tasks are waiting now (for tests and metrics).
    package var waiterCount: Int { state.withLock { $0.waiters.count } }
}
