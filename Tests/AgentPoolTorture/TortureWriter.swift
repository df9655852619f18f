import AgentPool
import Foundation

/// One writer process: random coordinator operations until it is killed.
enum TortureWriter {
    /// Concurrent tasks per writer process: writes that wait together share a commit (group
    /// commit), so a kill also lands in the middle of batches.
    static let tasks = 3

    /// One line per write call: a pipe write of under 4 KiB is atomic, so concurrent tasks' lines do not interleave.
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// How often a send that failed with a retryable error is tried again with the same message
    /// and key before the writer gives up on it (unacknowledged): 30 s of a server away.
    static let sendAttempts = 600

    static func run(location: String, index: Int, seed: UInt64) async throws {
        let pool = try PoolHandle(TortureRun.poolID, store: try await TortureTarget.open(location, logLevel: .critical))
        say("ready")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask { try await operate(pool, index: index, seed: seed &+ UInt64(task) &* 0x1_0000_0001) }
            }
            try await group.waitForAll()
        }
    }

    /// One task's random operations, as run `w<index>`, until the process is killed.
    static func operate(_ pool: PoolHandle, index: Int, seed: UInt64) async throws {
        var rng = TortureRandom(seed: seed)
        let me = "w\(index)"
        let runs = TortureRun.stableRuns + (0..<TortureRun.maxWriters).map { "w\($0)" }
        while true {
            let roll = rng.next(100)
            do {
                switch roll {
                case 0..<10:
                    let cursor = try await pool.join(Member(runID: me, agentID: "writer", topics: rng.next(2) == 0 ? ["t"] : []))
                    say("ack join \(me) \(cursor)")
                case 10..<13:
                    let cursor = try await pool.leave(me)
                    say("ack leave \(me) \(cursor)")
                case 13..<60:
                    // A small id space per writer, so that re-sends of the same message happen often.
                    let number = rng.next(40)
                    let id = "m-\(me)-\(number)"
                    let targets: [Address] = [.run(runs[rng.next(runs.count)]), .topic("t"), .pool(TortureRun.poolID), .agent("writer")]
                    let message = Message(messageID: id, from: me, to: targets[number % targets.count], contentRef: "c\(number)",
                                          idempotencyKey: "k-\(id)",
                                          responseContract: number % 5 == 0 ? ResponseContract(timeoutMillis: 200) : nil)
                    let receipt = try await retrying { try await pool.send(message) }
                    say("ack send \(id) k-\(id) \(receipt.status.rawValue) \(receipt.cursor ?? 0)")
                case 60..<75:
                    guard let item = try await pool.inbox(me, after: 0, limit: 50).randomElement() else { continue }
                    let id = "re-\(me)-\(item.message.messageID)"
                    let receipt = try await pool.reply(to: item.message.messageID, with: Message(
                        messageID: id, from: me, to: .run(item.message.from), contentRef: "answer", idempotencyKey: "k-\(id)"))
                    say("ack reply \(id) k-\(id) \(receipt.status.rawValue) \(receipt.cursor ?? 0)")
                case 75..<88:
                    let number = rng.next(30)
                    let id = "wake-\(me)-\(number)"
                    let filter = EventFilter(
                        sourceRuns: .oneOf([runs[rng.next(runs.count)]]),
                        kinds: .oneOf([.message(.delivered), .runJoined, .message(.responded)]))
                    let registration = try await pool.suspendUntil(
                        WakeCondition(conditionID: id, runID: me, filter: filter, idempotencyKey: "k-\(id)",
                                      timeoutMillis: number % 3 == 0 ? 150 : nil),
                        since: number % 2 == 0 ? 0 : nil)
                    say("ack wake \(id) k-\(id) \(registration.status.rawValue)")
                case 88..<94:
                    let id = "m-\(me)-\(rng.next(40))"
                    let receipt = try await pool.cancel(id)
                    say("ack cancel \(id) \(receipt.status.rawValue)")
                default:
                    let id = "wake-\(me)-\(rng.next(30))"
                    let registration = try await pool.cancelWake(id)
                    say("ack cancelwake \(id) \(registration.status.rawValue)")
                }
            } catch let error as AgentPoolError where error.kind != .storage && error.kind != .corruptRecord {
                // Refusals (not a member, not found, conflicts, busy) are part of the game.
                say("refused \(error.kind.rawValue)")
            }
        }
    }
}

extension TortureWriter {
    /// `call`, tried again after a retryable error (`busy`: a lock held, the server restarting)
    /// up to ``sendAttempts`` times: the client's side of idempotent retries. A retry of a send
    /// whose first attempt committed unseen returns that attempt's receipt.
    static func retrying<T>(_ call: () async throws -> T) async throws -> T {
        for _ in 1..<sendAttempts {
            do {
                return try await call()
            } catch let error as AgentPoolError where error.isRetryable {
                say("retry \(error.kind.rawValue)")
                try await Task.sleep(for: .milliseconds(50))  // back-off, not a synchronization
            }
        }
        return try await call()
    }
}

/// A small deterministic generator (SplitMix64), so that a failing run can be replayed from its seed.
struct TortureRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
