// Two processes cooperating through one SQLite file.
//
//   swift run agentpool-demo [DB]
//
// The parent opens a pool and starts two copies of itself, "alice" and "bob". Each joins the pool
// and sends messages to the other, concurrently; SQLite serializes their writes. The parent then
// reads the pool back and checks that both processes' messages are all there, delivered to the
// other run, with gapless sequence numbers. Exit status 0 means every check held.
import AgentPool
import AgentPoolSQLite
import Foundation

let messagesPerRun = 5
let pool = "demo"

/// Prints a line at once (unbuffered), so that the two processes' lines interleave as they happen.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func openStore(_ path: String) throws -> SQLiteStore {
    var options = SQLiteOptions()
    options.logger.logLevel = .warning
    return try SQLiteStore(path: path, options: options)
}

/// One agent run in its own process: joins, then sends `messagesPerRun` messages to `peer`.
func runAgent(name: String, peer: String, path: String) async throws {
    let store = try openStore(path)
    try await store.join(pool, Member(runID: name, agentID: "greeter", topics: ["greetings"]))
    say("[\(name) pid \(getpid())] joined pool '\(pool)'")
    for index in 1...messagesPerRun {
        let id = "\(name)-\(index)"
        let message = Message(messageID: id, from: name, to: .run(peer), contentRef: "hello #\(index) from \(name)", idempotencyKey: id)
        let delivered = try await store.write(pool) { tx in
            // Accepted then delivered, in one atomic write: no other process sees one without the other.
            try tx.recordMessage(StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted)))
            return try tx.recordMessage(StoredMessage(message: message, receipt: Receipt(messageID: id, status: .delivered, deliveredTo: [peer])))
        }
        say("[\(name) pid \(getpid())] sent \(id) to \(peer) (seq \(delivered?.seq ?? 0))")
    }
    try await store.close()
}

/// The parent: starts both agents, waits, and checks what they left in the file.
func runParent(path: String) async throws -> Bool {
    let store = try openStore(path)
    try await store.openPool(pool)
    say("database: \(path)")
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let children = try [("alice", "bob"), ("bob", "alice")].map { name, peer in
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--agent", name, peer, path]
        try process.run()
        return process
    }
    for child in children { child.waitUntilExit() }
    guard children.allSatisfy({ $0.terminationStatus == 0 }) else {
        say("an agent process failed")
        return false
    }

    let snapshot = try await store.snapshot(pool)
    let records = try await store.allRecords(pool)
    let gapless = records.map(\.seq) == Array(1...Seq(records.count))
    let deliveredToPeer = snapshot.messages.allSatisfy { stored in
        stored.receipt.status == .delivered && stored.receipt.deliveredTo == [stored.message.from == "alice" ? "bob" : "alice"]
    }
    say("pool '\(pool)': \(snapshot.members.count) members, \(snapshot.messages.count) messages, \(records.count) records, cursor \(snapshot.cursor ?? 0)")
    say("checks: every message delivered to the other run: \(deliveredToPeer); seqs gapless 1…\(records.count): \(gapless)")
    try await store.close()
    return snapshot.members.count == 2 && snapshot.messages.count == 2 * messagesPerRun && gapless && deliveredToPeer
}

let arguments = CommandLine.arguments
do {
    if arguments.count == 5, arguments[1] == "--agent" {
        try await runAgent(name: arguments[2], peer: arguments[3], path: arguments[4])
    } else {
        let temporary = NSTemporaryDirectory() + "agentpool-demo-\(getpid())"
        let path = arguments.count > 1 ? arguments[1] : temporary + "/demo.sqlite"
        let ok = try await runParent(path: path)
        try? FileManager.default.removeItem(atPath: temporary)
        say(ok ? "OK" : "FAILED")
        exit(ok ? 0 : 1)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
