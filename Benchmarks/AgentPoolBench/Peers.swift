import Foundation

/// The peers (Redis Streams, NATS JetStream, litequeue) measured in the same run as the store,
/// when they are installed: `Benchmarks/peers/run --json --no-install --rounds 1`, whose figures
/// join the store's, with each ratio peer ÷ AgentPool of this run (issue 19).
enum Peers {
    /// Peer figure ÷ store figure, as `Benchmarks/peers/run --with-store` names them.
    static let ratios: [(key: String, peer: String, store: String)] = [
        ("ratio_redis_lua_send_1_to_send", "redis_lua_send_per_s_1", "send_per_s"),
        ("ratio_redis_lua_send_8_to_contention_send_8", "redis_lua_send_per_s_8", "contention_send_per_s_8"),
        ("ratio_jetstream_publish_msgid_to_send", "jetstream_publish_msgid_per_s_1", "send_per_s"),
        ("ratio_redis_xadd_to_append", "redis_xadd_per_s_1", "append_per_s"),
        ("ratio_litequeue_put_to_append", "litequeue_put_per_s", "append_per_s"),
        ("ratio_redis_xread_block_p50_to_watch_p50", "redis_xread_block_p50_us", "watch_p50_us"),
        ("ratio_redis_xread_block_p99_to_watch_p99", "redis_xread_block_p99_us", "watch_p99_us"),
        ("ratio_jetstream_ordered_push_p50_to_watch_p50", "jetstream_ordered_push_p50_us", "watch_p50_us"),
        ("ratio_jetstream_ordered_push_p99_to_watch_p99", "jetstream_ordered_push_p99_us", "watch_p99_us"),
    ]

    /// The script beside this source file.
    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("peers/run")
    }

    /// Why the peers are not measured in this run, or nil when they are installed: the script
    /// is there, `redis-server`, `redis-benchmark` and `nats-server` are on the PATH, and this
    /// run was not started by the script itself (`AGENTPOOL_BENCH_FROM_PEERS`).
    static var skipReason: String? {
        let environment = ProcessInfo.processInfo.environment
        if environment["AGENTPOOL_BENCH_FROM_PEERS"] != nil { return "run by Benchmarks/peers/run" }
        guard FileManager.default.isExecutableFile(atPath: script.path) else { return "no \(script.path)" }
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for command in ["redis-server", "redis-benchmark", "nats-server", "python3"] {
            guard path.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(command)") }) else {
                return "\(command) is not installed (Benchmarks/peers/run installs the peers)"
            }
        }
        return nil
    }

    /// One round of the peers at this run's sizes (`--full` unless `quick`), merged with the
    /// store's `results` into the peers' figures and the ratios.
    static func figures(quick: Bool, beside results: [String: Double]) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--json", "--no-install", "--rounds", "1"] + (quick ? [] : ["--full"])
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchError("Benchmarks/peers/run exited \(process.terminationStatus)")
        }
        var figures: [String: Double] = [:]
        for (key, value) in object {
            if let number = value as? Double, ["redis_", "jetstream_", "litequeue_"].contains(where: key.hasPrefix) {
                figures[key] = number
            }
        }
        for ratio in ratios {
            if let peer = figures[ratio.peer], let store = results[ratio.store], store > 0 { figures[ratio.key] = peer / store }
        }
        return figures
    }
}
