import AgentPool
import AgentPoolStores
import Foundation

/// The scenarios that apply to a PostgreSQL server, beside the raw postgres-nio baseline
/// measured in the same run (before and after the in-process scenarios, averaged).
enum PostgresBench {
    static func run(_ fixtures: Fixtures, url: String, quick: Bool) async throws -> [String: Double] {
        let throughputCount = quick ? 1_000 : 5_000
        let watchCount = quick ? 1_000 : 3_000
        let contentionPerWriter = quick ? 200 : 1_000
        let idleSeconds = 10.0
        report("agentpool-bench --db \(StoreLocation.redacted(url))\(quick ? " --quick" : ""): \(ProcessInfo.processInfo.activeProcessorCount) cores")
        report("sizes: \(throughputCount) txns per throughput figure, \(watchCount) watched records at 500/s, "
               + "\(contentionPerWriter) sends per contending writer")
        var results: [String: Double] = [:]

        report("1. raw postgres-nio single-row INSERT transactions …")
        let rawBefore = try await RawPostgresBaseline.transactionsPerSecond(url: url, count: throughputCount)
        report("2. store-level append …")
        let append = try await Scenarios.appendPerSecond(fixtures, count: throughputCount)
        report("3. coordinator send …")
        let send = try await Scenarios.sendPerSecond(fixtures, count: throughputCount)
        let rawAfter = try await RawPostgresBaseline.transactionsPerSecond(url: url, count: throughputCount)
        let raw = (rawBefore + rawAfter) / 2
        results["raw_postgres_txn_per_s"] = raw
        results["append_per_s"] = append
        results["append_ratio_to_raw"] = append / raw
        results["send_per_s"] = send
        results["send_ratio_to_raw"] = send / raw
        report("   raw \(Int(rawBefore)) / \(Int(rawAfter)) txn/s, append \(Int(append))/s (\(String(format: "%.2f", append / raw))), send \(Int(send))/s (\(String(format: "%.2f", send / raw)))")

        report("4. cross-process watch latency (LISTEN/NOTIFY) and idle CPU …")
        let latency = try await ProcessScenarios.watchLatency(fixtures, count: watchCount, rate: 500)
        results["watch_p50_us"] = latency.p50
        results["watch_p99_us"] = latency.p99
        results["watch_max_us"] = latency.max
        report("   p50 \(Int(latency.p50)) µs, p99 \(Int(latency.p99)) µs, max \(Int(latency.max)) µs")
        let idle = try await ProcessScenarios.idleWatcherCPUPercent(fixtures, seconds: idleSeconds)
        results["idle_watcher_cpu_percent"] = idle
        report("   idle watcher over \(Int(idleSeconds)) s: \(String(format: "%.3f", idle)) % of a core")

        report("5. contention …")
        var lost = 0, duplicated = 0, gaps = 0
        for writers in [4, 8] {
            let outcome = try await ProcessScenarios.contention(fixtures, writers: writers, perWriter: contentionPerWriter)
            results["contention_send_per_s_\(writers)"] = outcome.sendsPerSecond
            lost += outcome.lost
            duplicated += outcome.duplicated
            gaps += outcome.gaps
            report("   \(writers) writers: \(Int(outcome.sendsPerSecond)) sends/s, lost \(outcome.lost), duplicated \(outcome.duplicated), gaps \(outcome.gaps)")
        }
        results["lost"] = Double(lost)
        results["duplicated"] = Double(duplicated)
        results["gaps"] = Double(gaps)
        return results
    }
}
