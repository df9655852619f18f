import AgentPool

/// The recent frames of one pool's feed, shared by every client that follows the pool: the feed
/// appends each record's frame once, and each client reads everything after its own cursor in
/// one call.
///
/// why one buffer and a cursor per client rather than a queue per client: appending a record
/// is then one array append however many clients follow, instead of one per client (200 clients
/// at 3,000 records/s made the per-client queues the console's largest cost, BENCHMARKS.md).
/// A client that falls further behind than the buffer holds reads the gap from the store.
final class FeedBuffer: Sendable {
    private struct Waiter {
        var after: Seq
        var continuation: CheckedContinuation<[FeedFrame]?, Never>
    }

    private struct State {
        /// Frames of consecutive seqs, oldest first.
        var frames: [FeedFrame] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var finished = false

        /// The frames after `seq`, as one array (all of them when `seq` is older than the buffer).
        func frames(after seq: Seq) -> [FeedFrame] {
            guard let first = frames.first?.seq else { return [] }
            let start = seq + 1 - first
            if start <= 0 { return frames }
            return start < Int64(frames.count) ? Array(frames[Int(start)...]) : []
        }
    }

    private let state = Locked(State())
    private let capacity: Int

    /// A buffer that keeps the newest `capacity` frames (at most twice that between trims).
    init(capacity: Int) { self.capacity = capacity }

    /// Appends `frame`, the seq after the last one, and hands it to every client waiting.
    func append(_ frame: FeedFrame) {
        let woken: [(CheckedContinuation<[FeedFrame]?, Never>, [FeedFrame])] = state.withLock { state in
            if state.finished { return [] }
            state.frames.append(frame)
            // why twice the capacity: trimming then costs one move per `capacity` appends.
            if state.frames.count > 2 * capacity { state.frames.removeFirst(state.frames.count - capacity) }
            let waiters = state.waiters.values
            state.waiters = [:]
            return waiters.map { ($0.continuation, state.frames(after: $0.after)) }
        }
        for (continuation, frames) in woken { continuation.resume(returning: frames) }
    }

    /// The seqs held now, oldest to newest; nil when empty.
    var held: ClosedRange<Seq>? {
        state.withLock { state in state.frames.first.map { $0.seq...state.frames.last!.seq } }
    }

    /// Hands every waiting client an empty read: nothing new, time to show the connection is alive.
    func wakeWaiters() {
        let waiters: [Waiter] = state.withLock { state in
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: []) }
    }

    /// Ends the buffer: each client reads what is left after its cursor, then nil.
    func finish() {
        let waiters: [Waiter] = state.withLock { state in
            state.finished = true
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    /// Every frame after `seq` held now (the oldest held first: the caller reads any gap before
    /// it from the store), waiting for one when there is none; empty when ``wakeWaiters()`` ends
    /// the wait with nothing new; nil once the buffer ended with nothing after `seq`, or when the
    /// task is cancelled.
    func read(after seq: Seq) async -> [FeedFrame]? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    let frames = state.frames(after: seq)
                    if !frames.isEmpty {
                        continuation.resume(returning: frames)
                    } else if state.finished || Task.isCancelled {
                        continuation.resume(returning: nil)
                    } else {
                        state.waiters[id] = Waiter(after: seq, continuation: continuation)
                    }
                }
            }
        } onCancel: {
            // why under the lock: the cancellation may come before or after the wait registers;
            // either way exactly one of the two resumes it.
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
        }
    }
}
