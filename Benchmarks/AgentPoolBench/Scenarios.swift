import AgentPool
import Foundation

/// The in-process scenarios: append and send throughput, history independence.
enum Scenarios {
    /// Store-level appends of one record (a message status) per write transaction, per second.
    static func appendPerSecond(_ fixtures: Fixtures, count: Int) async throws -> Double {
        let store = try await fixtures.store("append-\(UUID().uuidString)")
        _ = try await Fixtures.openPool("p", in: store)
        let elapsed = try await seconds {
            for index in 0..<count {
                let message = Fixtures.message("append-\(index)")
                try await store.recordMessage("p", StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: .accepted)))
            }
        }
        try await store.close()
        return Double(count) / elapsed
    }

    /// Coordinator sends (dedupe, membership, recipients, accepted + delivered, wakes) per second.
    static func sendPerSecond(_ fixtures: Fixtures, count: Int, body: JSONValue? = nil) async throws -> Double {
        let store = try await fixtures.store("send-\(UUID().uuidString)")
        let pool = try await Fixtures.openPool("p", in: store)
        let elapsed = try await seconds {
            for index in 0..<count { _ = try await pool.send(Fixtures.message("send-\(index)", body: body)) }
        }
        try await store.close()
        return Double(count) / elapsed
    }

    /// Sends per second when `senders` tasks of one process send `count` messages in all at once
    /// (writes that wait together share one commit).
    static func concurrentSendPerSecond(_ fixtures: Fixtures, count: Int, senders: Int) async throws -> Double {
        let store = try await fixtures.store("concurrent-\(UUID().uuidString)")
        let pool = try await Fixtures.openPool("p", in: store)
        let elapsed = try await seconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in 0..<senders {
                    group.addTask {
                        for index in stride(from: sender, to: count, by: senders) {
                            _ = try await pool.send(Fixtures.message("send-\(index)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await store.close()
        return Double(count) / elapsed
    }

    /// Median latency of `count` sends, in µs, on a pool that already has `history` records.
    static func sendMedianMicros(_ fixtures: Fixtures, history: Int, count: Int, name: String) async throws -> Double {
        let store = try await fixtures.store(name)
        try await Fixtures.importHistory("p", records: history, into: store)
        let pool = try PoolHandle("p", store: store)
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        for index in 0..<count {
            let start = monotonicNanos()
            _ = try await pool.send(Fixtures.message("timed-\(index)"))
            latencies.append(Double(monotonicNanos() - start) / 1000)
        }
        try await store.close()
        return Sample(latencies).median
    }

    /// Wall time, in ms, of fresh processes that open the database at `path`, join, send one
    /// message and exit; the median of `runs`.
    static func coldOpenSendMillis(path: String, runs: Int) throws -> Double {
        var times: [Double] = []
        for run in 0..<runs {
            let start = monotonicNanos()
            let child = try BenchChild(role: "cold-send", [path, "cold-\(run)"])
            try child.finish()
            times.append(Double(monotonicNanos() - start) / 1e6)
        }
        return Sample(times).median
    }
}
