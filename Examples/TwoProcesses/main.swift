// Two agent processes coordinating through one SQLite file.
//
//   swift run agentpool-demo [DB]          DB: a SQLite file (default: a temporary one), or a postgres:// URL
//                                          when built with --traits Postgres
//
// The parent opens a pool and starts two copies of itself, "alice" and "bob". Alice sends bob a
// question, then sleeps on a wake condition until his answer is delivered; bob sleeps on a wake
// until a question reaches him, reads his inbox, and replies. Neither polls: each wait returns
// when the other process commits. After `rounds` rounds the parent checks the pool: every
// question answered (`responded`), every wake triggered, sequence numbers gapless.
import AgentPool
import AgentPoolStores
import Foundation

let rounds = 5
let poolID = "demo"

/// Prints a line at once (unbuffered), so that the two processes' lines interleave as they happen.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Opens the pool in the database at `path`: a SQLite file, or a postgres:// URL.
func openPool(_ path: String) async throws -> PoolHandle {
    try await PoolHandle.open(poolID, store: try await StoreLocation.open(path, logger: StoreLocation.quietLogger()))
}

/// "Wake `run` when a message from `peer` is delivered to it."
/// Gives up after 30 s, so that the demo fails instead of hanging if the other process dies.
func deliveredTo(_ run: RunID, from peer: RunID, id: ConditionID) -> WakeCondition {
    WakeCondition(conditionID: id, runID: run,
                  filter: EventFilter(sourceRuns: .oneOf([peer]), kinds: .oneOf([.message(.delivered)]), targets: .oneOf([run])),
                  idempotencyKey: id, timeoutMillis: 30_000)
}

struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Alice: asks, then waits for the answer to be delivered to her.
func runAlice(path: String) async throws {
    let pool = try await openPool(path)
    try await pool.join(Member(runID: "alice", agentID: "asker"))
    // Bob may not have joined yet: a question now would fail with no recipient. Wait for his
    // join — `since: 0` makes a join that already happened trigger the wake at once.
    try await pool.suspendUntil(WakeCondition(
        conditionID: "alice-sees-bob", runID: "alice",
        filter: EventFilter(sourceRuns: .oneOf(["bob"]), kinds: .oneOf([.runJoined])),
        idempotencyKey: "alice-sees-bob", timeoutMillis: 30_000), since: 0)
    guard try await pool.wait("alice-sees-bob").status == .triggered else { throw DemoError("bob never joined") }
    var cursor = try await pool.snapshot().cursor ?? 0
    for round in 1...rounds {
        let question = Message(messageID: "q\(round)", from: "alice", to: .agent("answerer"),
                               contentRef: "what is \(round) squared?", idempotencyKey: "q\(round)")
        let receipt = try await pool.send(question)
        say("[alice pid \(getpid())] asked q\(round): \(receipt.status.rawValue) to \(receipt.deliveredTo) at seq \(receipt.cursor ?? 0)")
        // `since` closes the window: an answer already delivered triggers the wake at once.
        try await pool.suspendUntil(deliveredTo("alice", from: "bob", id: "alice-answer-\(round)"), since: cursor)
        let woken = try await pool.wait("alice-answer-\(round)")
        guard woken.status == .triggered else { throw DemoError("no answer to q\(round): wake \(woken.status.rawValue)") }
        let answer = try await pool.inbox("alice", after: cursor).first { $0.message.replyTo == "q\(round)" }
        say("[alice pid \(getpid())] woke at seq \(woken.matchingCursor ?? 0): \(answer?.message.contentRef ?? "?")")
        cursor = woken.matchingCursor ?? cursor
    }
}

/// Bob: waits for a question to reach him, then replies to it.
func runBob(path: String) async throws {
    let pool = try await openPool(path)
    try await pool.join(Member(runID: "bob", agentID: "answerer"))
    var cursor: Seq = 0
    for round in 1...rounds {
        try await pool.suspendUntil(deliveredTo("bob", from: "alice", id: "bob-question-\(round)"), since: cursor)
        let woken = try await pool.wait("bob-question-\(round)")
        guard woken.status == .triggered else { throw DemoError("no question \(round): wake \(woken.status.rawValue)") }
        for item in try await pool.inbox("bob", after: cursor) {
            cursor = item.cursor
            let n = Int(item.message.messageID.dropFirst()) ?? 0
            let answer = Message(messageID: "a\(n)", from: "bob", to: .run(item.message.from),
                                 contentRef: "\(n) squared is \(n * n)", idempotencyKey: "a\(n)")
            try await pool.reply(to: item.message.messageID, with: answer)
            say("[bob   pid \(getpid())] woke at seq \(woken.matchingCursor ?? 0), answered \(item.message.messageID)")
        }
    }
}

/// The parent: starts both agents, waits, and checks what they left in the file.
func runParent(path: String) async throws -> Bool {
    let pool = try await openPool(path)
    say("database: \(StoreLocation.redacted(path))")
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let children = try ["alice", "bob"].map { name in
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--agent", name, path]
        try process.run()
        return process
    }
    for child in children { child.waitUntilExit() }
    guard children.allSatisfy({ $0.terminationStatus == 0 }) else {
        say("an agent process failed")
        return false
    }

    let snapshot = try await pool.snapshot()
    let records = try await pool.records(limit: 10_000)
    let questions = snapshot.messages.filter { $0.message.from == "alice" }
    let answered = questions.count == rounds && questions.allSatisfy { $0.receipt.status == .responded }
    let woken = snapshot.wakes.count == 2 * rounds + 1 && snapshot.wakes.allSatisfy { $0.registration.status == .triggered }
    let gapless = records.map(\.seq) == Array(1...Seq(records.count))
    say("pool '\(poolID)': \(snapshot.members.count) members, \(snapshot.messages.count) messages, \(snapshot.wakes.count) wakes, \(records.count) records")
    say("checks: every question responded: \(answered); every wake triggered: \(woken); seqs gapless 1…\(records.count): \(gapless)")
    return answered && woken && gapless
}

let arguments = CommandLine.arguments
do {
    if arguments.count == 4, arguments[1] == "--agent" {
        try await arguments[2] == "alice" ? runAlice(path: arguments[3]) : runBob(path: arguments[3])
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
