import AgentPool
import Foundation

/// The scenarios with several processes: watch latency, idle CPU, contention, watcher memory.
enum ProcessScenarios {
    struct Latency {
        var p50: Double
        var p99: Double
        var max: Double
        /// From the writer's COMMIT returning to the delivery: the wake-up and the watcher's read.
        var afterCommitP50: Double
        var afterCommitP99: Double
    }

    /// A writer process appends ~`rate` records/s for `count` records; a watcher process measures,
    /// per record, the time from just before the writer's write call to its delivery (µs).
    static func watchLatency(_ fixtures: Fixtures, count: Int, rate: Int) async throws -> Latency {
        let name = "watch-\(UUID().uuidString)"
        let store = try await fixtures.store(name)
        _ = try await Fixtures.openPool("p", in: store)
        let watcher = try BenchChild(role: "latency-watcher", [fixtures.path(name), "p", "\(count)"])
        guard watcher.line(startingWith: "ready") != nil else { throw BenchError("watcher did not start") }
        let writer = try BenchChild(role: "latency-writer", [fixtures.path(name), "p", "\(count)", "\(rate)"])
        writer.release()
        let committed = Self.timesByIndex(try writer.finish(), "committed ")
        let lines = try watcher.finish()
        guard let line = lines.first(where: { $0.hasPrefix("latency ") }) else { throw BenchError("no latency line") }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        let afterCommit = Sample(Self.timesByIndex(lines, "delivered ").compactMap { index, delivered in
            committed[index].map { Double(delivered - $0) / 1000 }
        })
        try await store.close()
        return Latency(p50: numbers[0], p99: numbers[1], max: numbers[2],
                       afterCommitP50: afterCommit.median, afterCommitP99: afterCommit.quantile(0.99))
    }

    /// The `PREFIX <index> <wall ns>` lines of a child, by index.
    private static func timesByIndex(_ lines: [String], _ prefix: String) -> [Int: Int64] {
        var times: [Int: Int64] = [:]
        for line in lines where line.hasPrefix(prefix) {
            let fields = line.dropFirst(prefix.count).split(separator: " ")
            if fields.count == 2, let index = Int(fields[0]), let time = Int64(fields[1]) { times[index] = time }
        }
        return times
    }

    /// CPU used by a watcher process waiting on an idle pool for `seconds`, in % of one core.
    static func idleWatcherCPUPercent(_ fixtures: Fixtures, seconds: Double) async throws -> Double {
        let name = "idle-\(UUID().uuidString)"
        let store = try await fixtures.store(name)
        _ = try await Fixtures.openPool("p", in: store)
        let watcher = try BenchChild(role: "idle-watcher", [fixtures.path(name), "p"])
        guard watcher.line(startingWith: "ready") != nil else { throw BenchError("watcher did not start") }
        let before = cpuSeconds(of: watcher.pid)
        let start = monotonicNanos()
        try await Task.sleep(for: .seconds(seconds))
        let used = cpuSeconds(of: watcher.pid) - before
        let elapsed = Double(monotonicNanos() - start) / 1e9
        watcher.release()  // closing its stdin tells it to stop
        try watcher.finish()
        try await store.close()
        return used / elapsed * 100
    }

    struct Contention { var sendsPerSecond: Double; var lost: Int; var duplicated: Int; var gaps: Int }

    /// `writers` processes each send `perWriter` messages to one pool at once.
    static func contention(_ fixtures: Fixtures, writers: Int, perWriter: Int) async throws -> Contention {
        let name = "contention-\(writers)-\(UUID().uuidString)"
        let store = try await fixtures.store(name)
        let pool = try await PoolHandle.open("p", store: store)
        for index in 0..<writers { try await pool.join(Member(runID: "w\(index)", agentID: "writer")) }
        let children = try (0..<writers).map {
            try BenchChild(role: "contention-writer", [fixtures.path(name), "p", "\($0)", "\(writers)", "\(perWriter)"])
        }
        for child in children { guard child.line(startingWith: "ready") != nil else { throw BenchError("writer did not start") } }
        let start = monotonicNanos()
        for child in children { child.release() }
        var acknowledged: [String] = []
        for child in children {
            acknowledged += try child.finish().filter { $0.hasPrefix("ack ") }.map { String($0.dropFirst(4)) }
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9

        // Verify against the log: every acknowledged send present once, seqs gapless.
        let records = try await store.allRecords("p", pageSize: 5000)
        var accepted: [String: Int] = [:]
        for record in records {
            if case .runMessage(let stored) = record.payload, stored.receipt.status == .accepted {
                accepted[stored.message.messageID, default: 0] += 1
            }
        }
        let lost = acknowledged.filter { accepted[$0] == nil }.count
        let duplicated = accepted.values.filter { $0 > 1 }.count + (acknowledged.count - Set(acknowledged).count)
        let gaps = zip(records.map(\.seq), 1...).filter { $0.0 != Seq($0.1) }.count
        try await store.close()
        return Contention(sendsPerSecond: Double(writers * perWriter) / elapsed, lost: lost, duplicated: duplicated, gaps: gaps)
    }

    /// Peak RSS (MiB) of a watcher process following a pool of `records` records from seq 0.
    static func watcherPeakRSS(_ fixtures: Fixtures, records: Int) async throws -> Double {
        let name = "memory-\(UUID().uuidString)"
        let store = try await fixtures.store(name)
        try await Fixtures.importHistory("p", records: records, into: store)
        try await store.close()
        let watcher = try BenchChild(role: "memory-watcher", [fixtures.path(name), "p", "\(records)"])
        let lines = try watcher.finish()
        guard let line = lines.first(where: { $0.hasPrefix("rss ") }), let megabytes = Double(line.dropFirst(4)) else {
            throw BenchError("no rss line")
        }
        return megabytes
    }

    /// Runs the watch-latency and idle-watcher scenarios, reporting each figure; returns
    /// `watch_*_us` and `idle_watcher_cpu_percent`.
    static func watchFigures(_ fixtures: Fixtures, count: Int, rate: Int, idleSeconds: Double) async throws -> [String: Double] {
        var results: [String: Double] = [:]
        let latency = try await watchLatency(fixtures, count: count, rate: rate)
        results["watch_p50_us"] = latency.p50
        results["watch_p99_us"] = latency.p99
        results["watch_max_us"] = latency.max
        results["watch_after_commit_p50_us"] = latency.afterCommitP50
        results["watch_after_commit_p99_us"] = latency.afterCommitP99
        report("   p50 \(Int(latency.p50)) µs, p99 \(Int(latency.p99)) µs, max \(Int(latency.max)) µs from before the send; "
               + "after its COMMIT returned: p50 \(Int(latency.afterCommitP50)) µs, p99 \(Int(latency.afterCommitP99)) µs")
        let idle = try await idleWatcherCPUPercent(fixtures, seconds: idleSeconds)
        results["idle_watcher_cpu_percent"] = idle
        report("   idle watcher over \(Int(idleSeconds)) s: \(String(format: "%.3f", idle)) % of a core")
        return results
    }

    /// Runs contention with 1, 4 and 8 writer processes, reporting each; returns
    /// `contention_send_per_s_*`, `contention_ratio_8` (8 processes ÷ 1, the same total sends)
    /// and the verification counts `lost`, `duplicated`, `gaps` (summed).
    static func contentionFigures(_ fixtures: Fixtures, perWriter: Int) async throws -> [String: Double] {
        var results: [String: Double] = [:]
        var lost = 0, duplicated = 0, gaps = 0
        // One writer process sends as many as the eight together: contention_ratio_8 compares
        // the same total work.
        for writers in [1, 4, 8] {
            let outcome = try await contention(fixtures, writers: writers, perWriter: writers == 1 ? perWriter * 8 : perWriter)
            results["contention_send_per_s_\(writers)"] = outcome.sendsPerSecond
            lost += outcome.lost
            duplicated += outcome.duplicated
            gaps += outcome.gaps
            report("   \(writers) writers: \(Int(outcome.sendsPerSecond)) sends/s, lost \(outcome.lost), duplicated \(outcome.duplicated), gaps \(outcome.gaps)")
        }
        if let one = results["contention_send_per_s_1"], let eight = results["contention_send_per_s_8"] {
            results["contention_ratio_8"] = eight / one
            report("   8 writer processes ÷ 1: \(String(format: "%.2f", eight / one))")
        }
        results["lost"] = Double(lost)
        results["duplicated"] = Double(duplicated)
        results["gaps"] = Double(gaps)
        return results
    }
}
