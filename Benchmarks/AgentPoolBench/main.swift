// agentpool-bench: the store's speed beside a raw SQLite baseline measured in the same run.
//
//   swift run -c release agentpool-bench [--quick] [--json] [--db postgres://USER@HOST:PORT/DB]
//   swift run -c release agentpool-bench --claims [--workers N] [--quick] [--json]   (claimNext, N=4 worker processes;
//                                                        one claimNext behind 10,000 foreign and 1,000 held messages)
//   swift run -c release agentpool-bench --floor [--quick] [--json]   (append and send beside their own SQL through the C API)
//
// With --db and a PostgreSQL URL, it runs the scenarios that apply to a server (send/s, append/s,
// cross-process watch latency, idle watcher CPU, 4 and 8 contending processes) on schemas of that
// database, beside a raw postgres-nio baseline of single-row INSERT transactions on the same
// server, and drops its schemas at the end.
//
// The SQLite run also reports the store's WAL frames per append and per send (frames_per_*),
// 8 writer processes ÷ 1 (contention_ratio_8) and, when redis-server, redis-benchmark and
// nats-server are installed, one round of Benchmarks/peers/run at the same sizes: the peers'
// figures and ratio_* = peer ÷ AgentPool of this run.
//
// Human-readable results go to stderr; with --json, stdout gets ONE JSON object with the
// figures of the benchmark issue (numbers) and "quick". --quick uses smaller counts where the
// output says so; the 100k-record figures stay 100k.
import AgentPool
import AgentPoolStores
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--child", arguments.count >= 2 {
    do {
        try await ChildRoles.run(arguments[1], Array(arguments.dropFirst(2)))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("child error: \(error)\n".utf8))
        exit(1)
    }
}

let quick = arguments.contains("--quick")
let json = arguments.contains("--json")
/// `--claims`: only the claim scenario (4 worker processes) beside the raw baseline.
let claimsOnly = arguments.contains("--claims")
/// `--floor`: the store's append and send beside the same SQL replayed through the C API.
let floorOnly = arguments.contains("--floor")
/// `--watch`: only the cross-process watch latency and the idle watcher's CPU.
let watchOnly = arguments.contains("--watch")
let database = arguments.firstIndex(of: "--db").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
let directory = NSTemporaryDirectory() + "agentpool-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
/// Ends the run with `status`, removing the run's files first (`exit` skips the `defer` above).
func leave(_ status: Int32) -> Never {
    try? FileManager.default.removeItem(atPath: directory)
    exit(status)
}

if let database {
    guard StoreLocation.isPostgres(database) else {
        report("--db takes a postgres:// URL; the SQLite benchmark runs without it, on temporary files")
        leave(2)
    }
    #if Postgres
    let fixtures = Fixtures(directory: directory, postgresURL: database)
    let results = try await PostgresBench.run(fixtures, url: database, quick: quick)
    await fixtures.dropSchemas()
    if json {
        var object: [String: Any] = results
        object["quick"] = quick
        object["backend"] = "postgresql"
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
    leave(0)
    #else
    report("--db: agentpool-bench was built without the Postgres trait: rebuild with --traits Postgres")
    leave(2)
    #endif
}
let fixtures = Fixtures(directory: directory)

let throughputCount = quick ? 4_000 : 20_000
let latencyCount = quick ? 1_000 : 3_000
let coldRuns = quick ? 3 : 7
let watchCount = quick ? 2_000 : 5_000
let idleSeconds = 10.0
let contentionPerWriter = quick ? 500 : 2_000
let memoryRecords = quick ? 50_000 : 200_000

report("agentpool-bench\(quick ? " --quick" : ""): \(ProcessInfo.processInfo.activeProcessorCount) cores, files in \(directory)")
report("sizes: \(throughputCount) txns per throughput figure, \(latencyCount) timed sends per history figure, "
       + "\(coldRuns) cold processes, \(watchCount) watched records at 1000/s, \(contentionPerWriter) sends per contending writer, "
       + "\(memoryRecords) records for the watcher's memory")

var results: [String: Double] = [:]

if claimsOnly {
    let tasks = quick ? 2_000 : 8_000
    let workers = arguments.firstIndex(of: "--workers").flatMap { Int(arguments[$0 + 1]) } ?? 4
    report("claims: \(workers) worker processes draining \(tasks) tasks with claimNext + complete, beside raw sqlite3 …")
    let rawBefore = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
    let outcome = try await ClaimScenario.run(fixtures, workers: workers, tasks: tasks)
    report("claims: one claimNext with the queue empty but for its task, then behind 10,000 messages open for another run "
           + "and 1,000 tasks held by another worker …")
    let queue = try await ClaimQueueCost.run(fixtures, foreign: 10_000, held: 1_000, iterations: quick ? 200 : 1_000)
    let rawAfter = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
    let raw = (rawBefore + rawAfter) / 2
    report("   raw \(Int(rawBefore)) / \(Int(rawAfter)) txn/s; \(Int(outcome.claimsPerSecond)) claims completed/s "
           + "(ratio \(String(format: "%.3f", outcome.claimsPerSecond / raw))); completed \(outcome.completed), "
           + "duplicated \(outcome.duplicated), lost \(outcome.lost)")
    report("   claimNext \(String(format: "%.0f", queue.emptyMicros)) µs with an empty queue, "
           + "\(String(format: "%.0f", queue.crowdedMicros)) µs behind \(queue.foreign) foreign and \(queue.held) held "
           + "(\(String(format: "%.2f", queue.crowdedMicros / queue.emptyMicros))×; target ≤ 1.5×)")
    if json {
        let object: [String: Any] = [
            "raw_sqlite_txn_per_s": raw, "claim_complete_per_s_\(workers)": outcome.claimsPerSecond,
            "claim_ratio_to_raw": outcome.claimsPerSecond / raw, "claims_completed": outcome.completed,
            "claims_duplicated": outcome.duplicated, "claims_lost": outcome.lost, "quick": quick,
            "claim_next_empty_us": queue.emptyMicros, "claim_next_crowded_us": queue.crowdedMicros,
            "claim_next_crowded_ratio": queue.crowdedMicros / queue.emptyMicros,
        ]
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
    }
    leave(outcome.duplicated == 0 && outcome.lost == 0 ? 0 : 1)
}

if watchOnly {
    report("watch: \(watchCount) records sent by another process at 1000/s, each timed from before its send to its delivery …")
    results = try await ProcessScenarios.watchFigures(fixtures, count: watchCount, rate: 1_000, idleSeconds: idleSeconds)
    if json {
        var object: [String: Any] = results
        object["quick"] = quick
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
    }
    leave(0)
}

if floorOnly {
    report("floor: the store's append and send beside the same SQL replayed through the C API (no model, no GRDB) …")
    try await SQLFloor.verify(directory: directory)
    let rawBefore = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
    let append = try await Scenarios.appendPerSecond(fixtures, count: throughputCount)
    let send = try await Scenarios.sendPerSecond(fixtures, count: throughputCount)
    let floor = try await SQLFloor.measure(directory: directory, count: throughputCount)
    let concurrentSend = try await Scenarios.concurrentSendPerSecond(fixtures, count: throughputCount, senders: 16)
    let rawAfter = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
    let raw = (rawBefore + rawAfter) / 2
    func ratio(_ value: Double) -> String { String(format: "%.3f", value) }
    report("   raw \(Int(rawBefore)) / \(Int(rawAfter)) txn/s")
    report("   append: store \(Int(append))/s (\(ratio(append / raw)) of raw), floor \(Int(floor.appendPerSecond))/s (\(ratio(floor.appendPerSecond / raw)) of raw); store/floor \(ratio(append / floor.appendPerSecond))")
    report("   send:   store \(Int(send))/s (\(ratio(send / raw)) of raw), floor \(Int(floor.sendPerSecond))/s (\(ratio(floor.sendPerSecond / raw)) of raw); store/floor \(ratio(send / floor.sendPerSecond))")
    report("   16 concurrent senders in one process (group commit): \(Int(concurrentSend)) sends/s (\(ratio(concurrentSend / raw)) of raw, \(ratio(concurrentSend / floor.sendPerSecond)) of the sequential floor)")
    let storeFrames = try await StoreFrames.measure(directory: directory, count: throughputCount)
    report("   WAL frames (pages) written per commit by the floor: append \(String(format: "%.2f", floor.appendFramesPerCommit)), send \(String(format: "%.2f", floor.sendFramesPerCommit)); by the store: append \(String(format: "%.2f", storeFrames.perAppend)), send \(String(format: "%.2f", storeFrames.perSend))")
    if json {
        let object: [String: Any] = [
            "floor_append_wal_frames_per_commit": floor.appendFramesPerCommit, "floor_send_wal_frames_per_commit": floor.sendFramesPerCommit,
            "frames_per_append": storeFrames.perAppend, "frames_per_send": storeFrames.perSend,
            "raw_sqlite_txn_per_s": raw, "append_per_s": append, "send_per_s": send,
            "send_per_s_concurrent_16": concurrentSend, "send_concurrent_16_ratio_to_raw": concurrentSend / raw,
            "floor_append_per_s": floor.appendPerSecond, "floor_send_per_s": floor.sendPerSecond,
            "append_ratio_to_raw": append / raw, "send_ratio_to_raw": send / raw,
            "floor_append_ratio_to_raw": floor.appendPerSecond / raw, "floor_send_ratio_to_raw": floor.sendPerSecond / raw,
            "append_ratio_to_floor": append / floor.appendPerSecond, "send_ratio_to_floor": send / floor.sendPerSecond, "quick": quick,
        ]
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
    }
    leave(0)
}

report("1. raw sqlite3 single-row transactions …")
let rawBefore = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
report("2. store-level append …")
let append = try await Scenarios.appendPerSecond(fixtures, count: throughputCount)
report("3. coordinator send …")
let send = try await Scenarios.sendPerSecond(fixtures, count: throughputCount)
let concurrentSend = try await Scenarios.concurrentSendPerSecond(fixtures, count: throughputCount, senders: 16)
let rawAfter = try RawSQLiteBaseline.transactionsPerSecond(directory: directory, count: throughputCount)
// The baseline is measured before and after, and averaged, so that drift on a noisy machine
// affects both sides of the ratios alike.
let raw = (rawBefore + rawAfter) / 2
results["raw_sqlite_txn_per_s"] = raw
results["append_per_s"] = append
results["append_ratio_to_raw"] = append / raw
results["send_per_s"] = send
results["send_ratio_to_raw"] = send / raw
report("   raw \(Int(rawBefore)) / \(Int(rawAfter)) txn/s, append \(Int(append))/s (\(String(format: "%.2f", append / raw))), send \(Int(send))/s (\(String(format: "%.2f", send / raw)))")
report("   16 concurrent senders in the process (group commit): \(Int(concurrentSend)) sends/s (\(String(format: "%.2f", concurrentSend / raw)) of raw; not a key of the issue's JSON)")

report("3a. WAL frames per commit …")
let frames = try await StoreFrames.measure(directory: directory, count: throughputCount)
results["frames_per_append"] = frames.perAppend
results["frames_per_send"] = frames.perSend
report("   the store writes \(String(format: "%.2f", frames.perAppend)) WAL frames (4 KiB pages) per append, \(String(format: "%.2f", frames.perSend)) per send")

report("3b. send with an inline JSON body of 4 KiB and 64 KiB …")
let send4K = try await Scenarios.sendPerSecond(fixtures, count: throughputCount, body: Fixtures.body(bytes: 4 << 10))
let send64K = try await Scenarios.sendPerSecond(fixtures, count: max(throughputCount / 4, 100), body: Fixtures.body(bytes: 64 << 10))
results["send_body_4k_per_s"] = send4K
results["send_body_64k_per_s"] = send64K
results["send_body_4k_ratio_to_send"] = send4K / send
results["send_body_64k_ratio_to_send"] = send64K / send
report("   4 KiB body \(Int(send4K)) sends/s (\(String(format: "%.2f", send4K / send)) of a send without one), 64 KiB body \(Int(send64K)) sends/s (\(String(format: "%.2f", send64K / send)), \(String(format: "%.0f", send64K * 64 / 1024)) MiB/s of bodies)")

report("4. history independence (1k vs 100k prior records) …")
let p50_1k = try await Scenarios.sendMedianMicros(fixtures, history: 1_000, count: latencyCount, name: "history-1k")
let p50_100k = try await Scenarios.sendMedianMicros(fixtures, history: 100_000, count: latencyCount, name: "history-100k")
results["send_p50_us_1k"] = p50_1k
results["send_p50_us_100k"] = p50_100k
results["history_ratio"] = p50_100k / p50_1k
report("   send p50 \(Int(p50_1k)) µs at 1k, \(Int(p50_100k)) µs at 100k (ratio \(String(format: "%.2f", p50_100k / p50_1k)))")

report("5. cold process on the 100k-record file …")
let cold = try Scenarios.coldOpenSendMillis(path: fixtures.path("history-100k"), runs: coldRuns)
results["cold_open_send_ms_100k"] = cold
report("   open + join + send + exit: \(String(format: "%.1f", cold)) ms (median)")

report("6. cross-process watch latency and idle CPU …")
results.merge(try await ProcessScenarios.watchFigures(fixtures, count: watchCount, rate: 1_000, idleSeconds: idleSeconds)) { $1 }

report("7. contention …")
results.merge(try await ProcessScenarios.contentionFigures(fixtures, perWriter: contentionPerWriter)) { $1 }

report("8. watcher memory …")
let rss = try await ProcessScenarios.watcherPeakRSS(fixtures, records: memoryRecords)
results["watcher_peak_rss_mb"] = rss
report("   peak RSS following \(memoryRecords) records: \(String(format: "%.1f", rss)) MiB")

if let reason = Peers.skipReason {
    report("9. peers: not measured (\(reason))")
} else {
    report("9. peers (Redis Streams, NATS JetStream, litequeue), one round at the same sizes …")
    let peers = try Peers.figures(quick: quick, beside: results)
    results.merge(peers) { $1 }
    for ratio in Peers.ratios {
        if let value = peers[ratio.key] { report("   \(ratio.peer) ÷ \(ratio.store): \(String(format: "%.2f", value))") }
    }
}

if json {
    var object: [String: Any] = results
    object["quick"] = quick
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
