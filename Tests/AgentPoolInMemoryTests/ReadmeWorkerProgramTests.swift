import AgentPool
import AgentPoolConformance
import Testing

/// The README's planner and worker program (section "Claims"), as printed there, runs: every
/// queued task is answered once, by the worker, with its body.
@Suite struct ReadmeWorkerProgramTests {
    /// The README's `work(on:)`: any function of the task's body.
    func work(on body: JSONValue?) async throws -> JSONValue {
        guard case .object(let task)? = body, case .integer(let n)? = task["n"] else { return .null }
        return .integer(n * n)
    }

    @Test func theReadmeWorkerLoopAnswersEveryQueuedTaskOnce() async throws {
        let pool = try await PoolHandle.open("farm", store: InMemoryStore())
        try await pool.join(Member(runID: "planner-1", agentID: "planner"))
        // --- README, section "Claims: one worker per task, fenced" ---
        for n in 1...20 {
            try await pool.send(Message(messageID: "task-\(n)", from: "planner-1", to: .topic("tasks"),
                                        body: .object(["n": .integer(Int64(n))]), idempotencyKey: "task-\(n)",
                                        queued: true))
        }
        let loop = Task {
            let worker = try await pool.joinLeased(Member(runID: "worker-3", agentID: "worker", topics: ["tasks"]),
                                                   leaseMillis: 10_000)
            for try await task in try pool.claims(worker.runID, from: .topic("tasks"), leaseMillis: 30_000) {
                let answer: JSONValue = try await work(on: task.message.body)   // extendClaim(…) for long work
                try await pool.reply(to: task.message.messageID, with: Message(
                    messageID: "done-\(task.message.messageID)", from: "worker-3", to: .run(task.message.from),
                    body: answer, idempotencyKey: "done-\(task.message.messageID)"), claimToken: task.token)
            }
        }
        // --- end of the README's code ---
        try await eventually("every task answered") {
            try await pool.inbox("planner-1").count == 20
        }
        loop.cancel()
        let answers = try await pool.inbox("planner-1").map { ($0.message.replyTo, $0.message.body) }
        #expect(answers.count == 20)
        for n in 1...20 {
            #expect(answers.filter { $0.0 == "task-\(n)" }.map(\.1) == [.integer(Int64(n * n))], "task-\(n)")
            #expect(try await pool.receipt("task-\(n)").status == .responded)
        }
    }
}
