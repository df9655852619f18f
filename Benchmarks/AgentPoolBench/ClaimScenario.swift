import AgentPool
import AgentPoolSQLite
import Foundation

/// Competing consumers: worker processes draining one queue with `claimNext` +
/// `complete`, verified against the pool afterwards.
enum ClaimScenario {
    struct Outcome { var claimsPerSecond: Double; var completed: Int; var duplicated: Int; var lost: Int }

    /// `tasks` messages wait in topic "tasks"; `workers` processes claim and complete them until
    /// none is left. Returns completed claims per second (each is two write transactions: the
    /// claim and the completion) and what the pool holds afterwards.
    static func run(_ fixtures: Fixtures, workers: Int, tasks: Int) async throws -> Outcome {
        let name = "claims-\(workers)-\(UUID().uuidString)"
        let store = try await fixtures.store(name)
        let pool = try await PoolHandle.open("p", store: store)
        try await pool.join(Member(runID: "dispatcher", agentID: "d"))
        for index in 0..<workers { try await pool.join(Member(runID: "w\(index)", agentID: "worker", topics: ["tasks"])) }
        for index in 0..<tasks {
            try await pool.send(Message(messageID: "t\(index)", from: "dispatcher", to: .topic("tasks"), contentRef: "c", idempotencyKey: "t\(index)"))
        }
        let children = try (0..<workers).map { try BenchChild(role: "claim-worker", [fixtures.path(name), "p", "w\($0)"]) }
        for child in children { guard child.line(startingWith: "ready") != nil else { throw BenchError("worker did not start") } }
        let start = monotonicNanos()
        for child in children { child.release() }
        var done: [String] = []
        for child in children { done += try child.finish().filter { $0.hasPrefix("done ") }.map { String($0.dropFirst(5)) } }
        let elapsed = Double(monotonicNanos() - start) / 1e9

        let messages = try await pool.snapshot().messages
        let completed = messages.filter { $0.receipt.reason == "completed" }.count
        let outcome = Outcome(claimsPerSecond: Double(done.count) / elapsed, completed: completed,
                              duplicated: done.count - Set(done).count, lost: tasks - completed)
        try await store.close()
        return outcome
    }
}
