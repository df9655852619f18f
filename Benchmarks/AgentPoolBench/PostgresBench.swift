#if Postgres
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
        results.merge(try await ProcessScenarios.watchFigures(fixtures, count: watchCount, rate: 500, idleSeconds: idleSeconds)) { $1 }

        report("5. contention …")
        results.merge(try await ProcessScenarios.contentionFigures(fixtures, perWriter: contentionPerWriter)) { $1 }
        return results
    }
}
#endif
