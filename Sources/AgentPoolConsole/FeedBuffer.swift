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
        /// The UTF-8 bytes of `frames`' texts.
        var bytes = 0
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var finished = false

        /// The frames after `seq`, as one array (all of them when `seq` is older than the buffer).
        /// why no `seq + 1`: a client may ask from any cursor up to `Int64.max`.
        func frames(after seq: Seq) -> [FeedFrame] {
            guard let first = frames.first?.seq, let newest = frames.last?.seq, seq < newest else { return [] }
            return seq < first ? frames : Array(frames[Int(seq - first + 1)...])
        }
    }

    private let state = Locked(State())
    private let capacity: Int
    private let byteBudget: Int

    /// A buffer that keeps the newest `capacity` frames and at most `byteBudget` bytes of them
    /// (up to twice either between trims; the newest frame is always kept).
    init(capacity: Int, byteBudget: Int = 32 << 20) {
        self.capacity = capacity
        self.byteBudget = byteBudget
    }

    /// Appends `frame`, the seq after the last one, and hands it to every client waiting.
    func append(_ frame: FeedFrame) {
        let woken: [(CheckedContinuation<[FeedFrame]?, Never>, [FeedFrame])] = state.withLock { state in
            if state.finished { return [] }
            state.frames.append(frame)
            state.bytes += frame.text.utf8.count
            // why twice the limits: a trim then moves the array once per `capacity` appends (or
            // per `byteBudget` bytes) instead of on every append.
            if state.frames.count > 2 * capacity || state.bytes > 2 * byteBudget {
                var drop = 0, kept = state.bytes
                while drop < state.frames.count - 1, state.frames.count - drop > capacity || kept > byteBudget {
                    kept -= state.frames[drop].text.utf8.count
                    drop += 1
                }
                state.frames.removeFirst(drop)
                state.bytes = kept
            }
            let waiters = state.waiters.values
            state.waiters = [:]
            return waiters.map { ($0.continuation, state.frames(after: $0.after)) }
        }
        for (continuation, frames) in woken { continuation.resume(returning: frames) }
    }

    /// How many clients wait now.
    var waiting: Int { state.withLock { $0.waiters.count } }

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
    /// task is cancelled while waiting.
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
