import AgentPool
import Foundation

/// A follower of the torture pool in the parent process: a live watch from seq 0 that, when a
/// read fails with a retryable error (the server restarting), starts a new watch from the last
/// seq it saw. What it saw must be the log itself: every seq once, in order, byte-equal.
final class TortureWatcher: @unchecked Sendable {
    private let state = Locked((records: [PoolRecord](), resumes: 0, failure: String?.none))
    private var task: Task<Void, Never>?

    /// Starts following `pool` of `store`.
    init(store: any PoolStore, pool: PoolID) {
        let state = self.state
        task = Task.detached {
            while !Task.isCancelled {
                let cursor = state.withLock { $0.records.last?.seq ?? 0 }
                do {
                    for try await record in try PoolHandle(pool, store: store).watch(after: cursor) {
                        state.withLock { $0.records.append(record) }
                    }
                    return  // cancelled
                } catch let error as AgentPoolError where error.isRetryable {
                    state.withLock { $0.resumes += 1 }
                    try? await Task.sleep(for: .milliseconds(50))  // retry back-off while the server is away
                } catch {
                    state.withLock { $0.failure = "the watcher failed: \(error)" }
                    return
                }
            }
        }
    }

    /// How many times the watch was started again from its cursor.
    var resumes: Int { state.withLock { $0.resumes } }

    /// Waits, at most `timeout`, until the watcher has seen seq `last`; then compares what it saw
    /// with `log` and returns the differences (empty when it saw exactly the log).
    func check(against log: [PoolRecord], timeout: Duration) async -> [String] {
        let last = log.last?.seq ?? 0
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ ($0.records.last?.seq ?? 0) < last && $0.failure == nil }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))  // a bounded poll of the watcher's progress
        }
        let (seen, failure) = state.withLock { ($0.records, $0.failure) }
        if let failure { return [failure] }
        if seen.count < log.count { return ["the watcher saw \(seen.count) of \(log.count) records within \(timeout)"] }
        var differences: [String] = []
        for (index, record) in seen.enumerated() {
            if index >= log.count {
                differences.append("the watcher saw seq \(record.seq) beyond the log's last, \(last)")
            } else if record != log[index] {
                differences.append("the watcher's record \(index + 1) (seq \(record.seq)) differs from the log's (seq \(log[index].seq))")
            }
            if differences.count >= 10 { break }
        }
        return differences
    }

    /// Stops following.
    func stop() async {
        task?.cancel()
        await task?.value
    }
}
