import AgentPool

/// One stream client's pending frames: the feed appends, the client takes everything pending
/// at once, so that a client that fell behind catches up in one write instead of one per record.
final class FrameQueue: Sendable {
    private struct State {
        var frames: [FeedFrame] = []
        var waiter: CheckedContinuation<[FeedFrame]?, Never>?
        var finished = false
    }

    private let state = Locked(State())
    private let capacity: Int

    /// A queue that ends itself once more than `capacity` frames wait.
    init(capacity: Int) { self.capacity = capacity }

    /// Appends `frame`; returns false (and ends the queue) when the client is `capacity` behind.
    @discardableResult
    func append(_ frame: FeedFrame) -> Bool {
        let (waiter, accepted): (CheckedContinuation<[FeedFrame]?, Never>?, Bool) = state.withLock { state in
            if state.finished { return (nil, false) }
            state.frames.append(frame)
            if state.frames.count > capacity {
                state.finished = true
                state.frames = []
                let waiter = state.waiter
                state.waiter = nil
                return (waiter, false)
            }
            guard let waiter = state.waiter else { return (nil, true) }
            state.waiter = nil
            let frames = state.frames
            state.frames = []
            waiter.resume(returning: frames)
            return (nil, true)
        }
        waiter?.resume(returning: nil)
        return accepted
    }

    /// Ends the queue: the client's ``next()`` returns what is pending, then nil.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[FeedFrame]?, Never>? in
            state.finished = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Every frame pending now, waiting for at least one; nil once the queue ended (or the task
    /// was cancelled).
    func next() async -> [FeedFrame]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    if !state.frames.isEmpty {
                        let frames = state.frames
                        state.frames = []
                        continuation.resume(returning: frames)
                    } else if state.finished || Task.isCancelled {
                        continuation.resume(returning: nil)
                    } else {
                        state.waiter = continuation
                    }
                }
            }
        } onCancel: {
            finish()
        }
    }
}
