import AgentPool
import AgentPoolStores
import Foundation

/// What this executable does when started as `--child ROLE …` by a scenario.
enum ChildRoles {
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// Opens the store at `path`: a SQLite file or a postgres:// URL.
    static func open(_ path: String) async throws -> any PoolStore {
        try await StoreLocation.open(path, logger: StoreLocation.quietLogger())
    }

    static func run(_ role: String, _ arguments: [String]) async throws {
        switch (role, arguments.count) {
        case ("send-rate", 4):
            // Sequential sends of one run to itself on an existing pool; prints sends per second
            // (scripts/console-sse-bench.py runs it beside `agentpool serve` with and without clients).
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let (count, run) = (Int(arguments[2]) ?? 0, arguments[3])
            try await pool.join(Member(runID: run, agentID: "bench"))
            let start = monotonicNanos()
            for index in 0..<count {
                _ = try await pool.send(Fixtures.message("\(run)-\(index)", from: run, to: run))
            }
            let seconds = Double(monotonicNanos() - start) / 1e9
            say("{\"sends\":\(count),\"sends_per_second\":\(Double(count) / seconds)}")

        case ("cold-send", 2):
            let pool = try PoolHandle("p", store: try await open(arguments[0]))
            try await pool.join(Member(runID: arguments[1], agentID: "cold"))
            _ = try await pool.send(Fixtures.message("\(arguments[1])-hello", from: arguments[1], to: "a"))

        case ("latency-writer", 4):
            let store = try await open(arguments[0])
            let (pool, count, rate) = (arguments[1], Int(arguments[2]) ?? 0, Int(arguments[3]) ?? 1000)
            _ = readLine()
            let interval = 1_000_000_000 / UInt64(rate)
            var committed: [Int64] = []  // printed at the end: a full stdout pipe would block the sends
            committed.reserveCapacity(count)
            let start = monotonicNanos()
            for index in 0..<count {
                let target = start + UInt64(index) * interval
                let now = monotonicNanos()
                if target > now { try await Task.sleep(for: .nanoseconds(target - now)) }
                let message = Fixtures.message("live-\(index)", content: "\(wallNanos())")
                try await store.recordMessage(pool, StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: .accepted)))
                committed.append(wallNanos())
            }
            for (index, time) in committed.enumerated() { say("committed \(index) \(time)") }

        case ("latency-watcher", 3):
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let count = Int(arguments[2]) ?? 0
            let after = try await pool.snapshot().cursor ?? 0
            say("ready")
            var latencies: [Double] = []
            var delivered: [(Substring, Int64)] = []
            for try await record in pool.watch(after: after) {
                let received = wallNanos()
                if case .runMessage(let stored) = record.payload, let sent = Int64(stored.message.contentRef) {
                    latencies.append(Double(received - sent) / 1000)
                    delivered.append((stored.message.messageID.dropFirst(5), received))
                }
                if latencies.count == count { break }
            }
            let sample = Sample(latencies)
            for (index, time) in delivered { say("delivered \(index) \(time)") }
            say("latency \(sample.median) \(sample.quantile(0.99)) \(sample.max)")

        case ("idle-watcher", 2):
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let after = try await pool.snapshot().cursor ?? 0
            let watching = Task { for try await _ in pool.watch(after: after) {} }
            say("ready")
            // The parent closes our stdin when the measurement is over.
            await Task.detached { _ = readLine() }.value
            watching.cancel()

        case ("contention-writer", 5):
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let (index, writers, count) = (Int(arguments[2]) ?? 0, Int(arguments[3]) ?? 1, Int(arguments[4]) ?? 0)
            say("ready")
            _ = readLine()
            var output = ""
            for sequence in 0..<count {
                let id = "w\(index)-\(sequence)"
                _ = try await pool.send(Fixtures.message(id, from: "w\(index)", to: "w\((index + 1) % writers)"))
                output += "ack \(id)\n"
                if output.utf8.count > 16_000 {
                    FileHandle.standardOutput.write(Data(output.utf8))
                    output = ""
                }
            }
            FileHandle.standardOutput.write(Data(output.utf8))

        case ("claim-worker", 3):
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let run = arguments[2]
            say("ready")
            _ = readLine()
            var output = ""
            while let claimed = try await pool.claimNext(run, from: .topic("tasks"), leaseMillis: 60_000) {
                try await pool.complete(claimed.message.messageID, run: run, token: claimed.token)
                output += "done \(claimed.message.messageID)\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))

        case ("claim-solo", 2):
            // claimNext + complete in one process, for profiling: `--child claim-solo DIR COUNT`.
            let store = try await open("\(arguments[0])/claim-solo.sqlite")
            let pool = try await PoolHandle.open("p", store: store)
            let count = Int(arguments[1]) ?? 1000
            try await pool.join(Member(runID: "d", agentID: "d"))
            try await pool.join(Member(runID: "w", agentID: "w", topics: ["tasks"]))
            for index in 0..<count {
                try await pool.send(Message(messageID: "t\(index)", from: "d", to: .topic("tasks"), contentRef: "c", idempotencyKey: "t\(index)"))
            }
            var start = monotonicNanos()
            var claims: [ClaimedMessage] = []
            while let claimed = try await pool.claimNext("w", from: .topic("tasks"), leaseMillis: 60_000) { claims.append(claimed) }
            let claimTime = Double(monotonicNanos() - start) / Double(count) / 1000
            start = monotonicNanos()
            for claimed in claims { try await pool.complete(claimed.message.messageID, run: "w", token: claimed.token) }
            let completeTime = Double(monotonicNanos() - start) / Double(count) / 1000
            say("claimNext \(Int(claimTime)) µs, complete \(Int(completeTime)) µs")

        case ("memory-watcher", 3):
            let pool = try PoolHandle(arguments[1], store: try await open(arguments[0]))
            let last = Seq(arguments[2]) ?? 0
            var count = 0
            for try await record in pool.watch(after: 0) {
                count += 1
                if record.seq >= last { break }
            }
            say("rss \(peakRSSMegabytes())")

        case ("append", 2), ("send", 2):
            // One throughput scenario alone, for profiling: `--child send DIR COUNT`.
            let fixtures = Fixtures(directory: arguments[0])
            let count = Int(arguments[1]) ?? 1000
            let rate = role == "append"
                ? try await Scenarios.appendPerSecond(fixtures, count: count)
                : try await Scenarios.sendPerSecond(fixtures, count: count)
            say("\(role) \(Int(rate))/s")

        default:
            throw BenchError("unknown child role \(role) \(arguments)")
        }
    }
}
