// A live dashboard of a pool: members and message statuses, redrawn whenever any process writes.
//
//   swift run agentpool-dashboard                 a self-contained demo: starts a writer process
//                                                 and follows its pool until it says "done"
//   swift run agentpool-dashboard DB POOL         follows POOL in DB until interrupted (Ctrl-C)
//
// It never polls: `watch` wakes it when a record is committed by any process.
import AgentPool
import AgentPoolStores
import Foundation

func say(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

/// Opens the database at `path`: a SQLite file, or a postgres:// URL.
func openStore(_ path: String) async throws -> any PoolStore {
    try await StoreLocation.open(path, logger: StoreLocation.quietLogger())
}

/// The table for `snapshot`, as text.
func render(_ snapshot: Snapshot) -> String {
    var text = "pool \(snapshot.poolID) — cursor \(snapshot.cursor ?? 0)\n\n"
    text += "MEMBERS (\(snapshot.members.count))\n"
    text += "  " + "run".padding(toLength: 14, withPad: " ", startingAt: 0) + "agent".padding(toLength: 12, withPad: " ", startingAt: 0) + "topics\n"
    for member in snapshot.members {
        text += "  " + member.runID.padding(toLength: 14, withPad: " ", startingAt: 0)
            + member.agentID.padding(toLength: 12, withPad: " ", startingAt: 0) + member.topics.joined(separator: ",") + "\n"
    }
    var counts: [MessageStatus: Int] = [:]
    for stored in snapshot.messages { counts[stored.receipt.status, default: 0] += 1 }
    text += "\nMESSAGES (\(snapshot.messages.count))\n"
    for status in MessageStatus.allCases where counts[status] != nil {
        text += "  " + status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + "\(counts[status]!)\n"
    }
    for stored in snapshot.messages.suffix(5) {
        text += "  · \(stored.message.messageID): \(stored.message.from) → \(stored.receipt.deliveredTo.joined(separator: ",")) \(stored.receipt.status.rawValue)\n"
    }
    return text
}

/// Follows `pool` and redraws on every record; returns after a message with id "done" when
/// `untilDone`, otherwise runs until cancelled.
func follow(pool: PoolHandle, untilDone: Bool, interactive: Bool) async throws {
    var redraws = 0
    for try await record in pool.watch(after: 0) {
        // Redraw once per burst: the watch hands over a page at a time.
        let snapshot = try await pool.snapshot()
        guard record.seq == snapshot.cursor else { continue }
        redraws += 1
        say((interactive ? "\u{1B}[2J\u{1B}[H" : "\n--- redraw \(redraws) ---\n") + render(snapshot))
        if untilDone, snapshot.messages.contains(where: { $0.message.messageID == "done" }) { return }
    }
}

/// The demo's writer: joins three runs and sends some messages, paced so that redraws show.
func runWriter(path: String) async throws {
    let pool = try PoolHandle("demo", store: try await openStore(path))
    for (run, agent) in [("planner", "planner"), ("coder", "coder"), ("tester", "tester")] {
        try await pool.join(Member(runID: run, agentID: agent, topics: ["work"]))
        try await Task.sleep(for: .milliseconds(100))
    }
    for index in 1...6 {
        try await pool.send(Message(messageID: "m\(index)", from: "planner", to: .topic("work"), contentRef: "step \(index)", idempotencyKey: "m\(index)"))
        if index % 2 == 0 { try await pool.cancel("m\(index - 1)") }
        try await Task.sleep(for: .milliseconds(100))
    }
    try await pool.send(Message(messageID: "done", from: "planner", to: .run("ghost"), contentRef: "done", idempotencyKey: "done"))
}

let arguments = CommandLine.arguments
let interactive = isatty(STDOUT_FILENO) == 1
do {
    switch arguments.count {
    case 3 where arguments[1] == "--writer":
        try await runWriter(path: arguments[2])
    case 3:
        try await follow(pool: try PoolHandle(arguments[2], store: try await openStore(arguments[1])), untilDone: false, interactive: interactive)
    default:
        let directory = NSTemporaryDirectory() + "agentpool-dashboard-\(getpid())"
        let path = directory + "/dashboard.sqlite"
        let pool = try await PoolHandle.open("demo", store: try await openStore(path))
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: arguments[0]).resolvingSymlinksInPath()
        writer.arguments = ["--writer", path]
        try writer.run()
        let following = Task { try await follow(pool: pool, untilDone: true, interactive: interactive) }
        // If the writer dies before its last record, stop following instead of waiting forever.
        let watchdog = Task.detached {
            writer.waitUntilExit()
            if writer.terminationStatus != 0 { following.cancel() }
        }
        try await following.value
        await watchdog.value
        try? FileManager.default.removeItem(atPath: directory)
        let snapshot = try await pool.snapshot()
        let ok = writer.terminationStatus == 0 && snapshot.members.count == 3
        say("\n\(ok ? "OK" : "FAILED"): followed the writer process live to its last record\n")
        exit(ok ? 0 : 1)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
