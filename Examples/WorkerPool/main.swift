// A supervisor and K worker processes sharing one SQLite file: a work queue on claims.
//
//   swift run agentpool-workers [DB]
//
// The supervisor queues tasks on the topic "tasks" before any worker exists (queued work waits
// for whoever subscribes when they claim). Each worker (a member with a lease its LeasedMember
// renews by itself) takes tasks one at a time from its claim stream — an exclusive claim with a fencing
// token — does the work and replies with that token and a JSON body. Midway the supervisor kills a worker with
// SIGKILL while it holds a claim: the worker stops heartbeating, its member lease runs out, the
// pool removes it and frees its claim, and another worker claims the task with a higher token
// and completes it. The killed worker's late reply, replayed with its old token, is refused
// (`staleClaim`): a worker that lost its claim can never overwrite its successor's work. Exit
// status 0 means every task completed exactly once and the stale reply was refused.
import AgentPool
import AgentPoolStores
import Foundation

let poolID = "workers"
let workerCount = 3
let taskCount = 9
/// A worker that misses heartbeats for this long is removed and its claims freed.
let memberLeaseMillis: Millis = 1_500
/// A claim's own lease: longer than the member lease, so a crash is noticed through the member.
let claimLeaseMillis: Millis = 10_000

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// Opens the pool in the database at `path`: a SQLite file, or a postgres:// URL.
func openPool(_ path: String) async throws -> PoolHandle {
    try await PoolHandle.open(poolID, store: try await StoreLocation.open(path, logger: StoreLocation.quietLogger()))
}

/// A worker: claims queued tasks (and the stop message sent to it), works, replies with its claim
/// token; its claim stream sleeps at no CPU while there is nothing to claim and takes over a dead
/// worker's task when that worker's lease runs out.
func runWorker(name: String, path: String) async throws {
    let pool = try await openPool(path)
    // A member that heartbeats by itself (every third of its lease) until it leaves.
    let member = try await pool.joinLeased(Member(runID: name, agentID: "worker", topics: ["tasks"]), leaseMillis: memberLeaseMillis)
    say("[\(name) pid \(getpid())] ready")
    for try await claimed in try pool.claims(name, leaseMillis: claimLeaseMillis) {
        let id = claimed.message.messageID
        if claimed.message.body == .string("stop") {
            try await pool.complete(id, run: name, token: claimed.token)
            try await member.leave()
            return
        }
        guard case .object(let task)? = claimed.message.body, case .integer(let number)? = task["n"] else {
            try await pool.release(id, run: name, token: claimed.token)  // not a task this worker knows
            continue
        }
        let work = "work-\(number)"
        say("[\(name) pid \(getpid())] working on \(work) (message \(id), token \(claimed.token))")
        try await Task.sleep(for: .milliseconds(300))  // the "work"
        let result = Message(messageID: "result-\(work)-\(name)", from: name, to: .run("supervisor"),
                             body: .object(["n": .integer(number), "done_by": .string(name)]),
                             idempotencyKey: "result-\(work)-\(name)")
        try await pool.reply(to: id, with: result, claimToken: claimed.token)
    }
}

/// Starts the worker processes; returns them by name and a stream of their output lines.
func startWorkers(path: String) throws -> ([String: Process], AsyncStream<String>) {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var workers: [String: Process] = [:]
    let (lines, sink) = AsyncStream<String>.makeStream()
    for index in 1...workerCount {
        let process = Process()
        let output = Pipe()
        process.executableURL = executable
        process.arguments = ["--worker", "worker-\(index)", path]
        process.standardOutput = output
        output.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            for line in text.split(separator: "\n") { sink.yield(String(line)) }
        }
        try process.run()
        workers["worker-\(index)"] = process
    }
    return (workers, lines)
}

func runSupervisor(path: String) async throws -> Bool {
    let pool = try await openPool(path)
    try await pool.join(Member(runID: "supervisor", agentID: "supervisor"))
    say("database: \(path)")
    // Queued before any worker exists: each task waits for whoever subscribes to "tasks".
    for number in 1...taskCount {
        let id = "task-\(number)"
        let receipt = try await pool.send(Message(messageID: id, from: "supervisor", to: .topic("tasks"),
                                                  body: .object(["n": .integer(Int64(number))]), idempotencyKey: id,
                                                  queued: true))
        try await pool.suspendUntil(WakeCondition(
            conditionID: "done-\(id)", runID: "supervisor",
            filter: EventFilter(kinds: .oneOf([.message(.responded), .message(.failed)]), messageIDs: .oneOf([id])),
            idempotencyKey: "done-\(id)", timeoutMillis: 60_000), since: receipt.cursor)
    }
    let (workers, lines) = try startWorkers(path: path)
    var lineIterator = lines.makeAsyncIterator()
    // Kill the first worker that starts working, mid-task, holding its claim.
    var victim: (name: String, message: MessageID, token: Int64)?
    while victim == nil, let line = await lineIterator.next() {
        say(line)
        let words = line.split(separator: " ")
        if line.contains("working on"), let name = words.first?.dropFirst(), let token = Int64(words.last?.dropLast() ?? "") {
            victim = (String(name), String(words[words.count - 3].dropLast()), token)
        }
    }
    guard let victim, let process = workers[victim.name] else { return false }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    say("[supervisor] killed \(victim.name) with SIGKILL while it held \(victim.message) (token \(victim.token))")
    Task { while let line = await lineIterator.next() { say(line) } }

    for number in 1...taskCount {
        let outcome = try await pool.wait("done-task-\(number)")
        let receipt = try await pool.receipt("task-\(number)")
        say("[supervisor] task-\(number) \(receipt.status.rawValue) by \(receipt.respondedBy.joined(separator: ",")) (wake \(outcome.status.rawValue))")
    }
    // The killed worker's late reply, replayed with its old token: refused, nothing written.
    let late = Message(messageID: "late-\(victim.message)", from: victim.name, to: .run("supervisor"),
                       body: .string("late"), idempotencyKey: "late-\(victim.message)")
    var staleRefused = false
    do {
        try await pool.reply(to: victim.message, with: late, claimToken: victim.token)
    } catch let error as AgentPoolError where error.kind == .staleClaim {
        staleRefused = true
        say("[supervisor] the killed worker's late reply was refused: \(error.kind.rawValue)")
    }
    let reclaimed = try await pool.claim(victim.message)
    say("[supervisor] \(victim.message) was claimed again by \(reclaimed?.runID ?? "nobody") with token \(reclaimed?.token ?? 0)")

    for (name, process) in workers where process.isRunning {
        try await pool.send(Message(messageID: "stop-\(name)", from: "supervisor", to: .run(name), body: .string("stop"),
                                    idempotencyKey: "stop-\(name)"))
    }
    for process in workers.values where process.isRunning { process.waitUntilExit() }

    let snapshot = try await pool.snapshot()
    let results = snapshot.messages.filter { $0.message.messageID.hasPrefix("result-") }
    let completedOnce = (1...taskCount).allSatisfy { number in
        snapshot.messages.first { $0.message.messageID == "task-\(number)" }?.receipt.status == .responded
            && results.filter { $0.message.replyTo == "task-\(number)" }.count == 1
    }
    let takenOver = reclaimed.map { $0.token > victim.token && $0.runID != victim.name } ?? false
    say("pool '\(poolID)': \(snapshot.members.map(\.runID)) members, \(results.count) results for \(taskCount) tasks, \(try await pool.deadLetters().count) dead letters")
    say("checks: every task completed exactly once: \(completedOnce); the killed worker's task was taken over with a higher token: \(takenOver); its stale reply was refused: \(staleRefused)")
    return completedOnce && takenOver && staleRefused
}

let arguments = CommandLine.arguments
do {
    if arguments.count == 4, arguments[1] == "--worker" {
        try await runWorker(name: arguments[2], path: arguments[3])
    } else {
        let temporary = NSTemporaryDirectory() + "agentpool-workers-\(getpid())"
        let path = arguments.count > 1 ? arguments[1] : temporary + "/workers.sqlite"
        let ok = try await runSupervisor(path: path)
        try? FileManager.default.removeItem(atPath: temporary)
        say(ok ? "OK" : "FAILED")
        exit(ok ? 0 : 1)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
