import AgentPool
import Foundation

/// What one `claimNext` costs a claimer, with nothing else in the queue and with the queue full
/// of what it cannot claim: messages delivered to other runs and tasks other workers hold.
enum ClaimQueueCost {
    struct Figures {
        /// Mean microseconds per `claimNext` that finds the one claimable task, queue otherwise empty.
        var emptyMicros: Double
        /// The same with `foreign` open messages delivered to other runs and `held` tasks held by
        /// another worker ahead of it in the queue.
        var crowdedMicros: Double
        var foreign: Int
        var held: Int
    }

    /// Times `iterations` claims of one task (each released again, untimed) by worker `w`, first
    /// in a pool holding only that task, then in one where `foreign` messages to another run and
    /// `held` claimed tasks come before it in the queue.
    static func run(_ fixtures: Fixtures, foreign: Int, held: Int, iterations: Int) async throws -> Figures {
        let empty = try await micros(fixtures, name: "claim-queue-empty", foreign: 0, held: 0, iterations: iterations)
        let crowded = try await micros(fixtures, name: "claim-queue-crowded", foreign: foreign, held: held, iterations: iterations)
        return Figures(emptyMicros: empty, crowdedMicros: crowded, foreign: foreign, held: held)
    }

    private static func micros(_ fixtures: Fixtures, name: String, foreign: Int, held: Int, iterations: Int) async throws -> Double {
        let store = try await fixtures.store("\(name)-\(UUID().uuidString)")
        let pool = try await PoolHandle.open("p", store: store)
        for run in ["dispatcher", "other"] { try await pool.join(Member(runID: run, agentID: run)) }
        try await pool.join(Member(runID: "holder", agentID: "worker", topics: ["tasks"]))
        try await pool.join(Member(runID: "w", agentID: "worker", topics: ["tasks"]))
        for index in 0..<foreign {
            try await pool.send(Message(messageID: "f\(index)", from: "dispatcher", to: .run("other"), contentRef: "c",
                                        idempotencyKey: "f\(index)"))
        }
        for index in 0..<held {
            try await pool.send(Message(messageID: "h\(index)", from: "dispatcher", to: .topic("tasks"), contentRef: "c",
                                        idempotencyKey: "h\(index)", queued: true))
            guard try await pool.claimNext("holder", leaseMillis: 3_600_000) != nil else { throw BenchError("holder claimed nothing") }
        }
        try await pool.send(Message(messageID: "task", from: "dispatcher", to: .topic("tasks"), contentRef: "c",
                                    idempotencyKey: "task", queued: true))
        var total: UInt64 = 0
        for _ in 0..<iterations {
            let start = monotonicNanos()
            let claimed = try await pool.claimNext("w", leaseMillis: 60_000)
            total += monotonicNanos() - start
            guard let claimed, claimed.message.messageID == "task" else { throw BenchError("w did not claim the task") }
            _ = try await pool.release("task", run: "w", token: claimed.token)
        }
        try await store.close()
        return Double(total) / 1e3 / Double(iterations)
    }
}
