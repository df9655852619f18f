// A supervisor and K worker processes sharing one SQLite file.
//
//   swift run agentpool-workers [DB]
//
// The supervisor posts tasks to the topic "tasks"; every worker subscribed to it receives each
// task, and exactly one of them — the one the task's number designates among its recipients —
// does the work and replies. The supervisor waits on one wake per task (responded or timed out).
// Midway it kills a worker with SIGKILL while that worker is busy: its task times out, the
// supervisor removes the dead worker from the pool and posts the task again, and a surviving
// worker completes it. Every result is a reply whose idempotency key names the work item, so
// no work item is ever completed twice. Exit status 0 means every task completed exactly once.
import AgentPool
import AgentPoolStores
import Foundation

let poolID = "workers"
let workerCount = 3
let taskCount = 9
let responseTimeoutMillis: Millis = 2_000

func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// Opens the pool in the database at `path`: a SQLite file, or a postgres:// URL.
func openPool(_ path: String) async throws -> PoolHandle {
    try await PoolHandle.open(poolID, store: try StoreLocation.open(path, logger: StoreLocation.quietLogger()))
}

/// The work item a task message carries, e.g. "work-4" (a retry keeps the same item).
func workItem(of message: Message) -> String { message.contentRef }

/// A worker: waits for tasks delivered to it, does those it is designated for, replies once.
func runWorker(name: String, path: String) async throws {
    let pool = try await openPool(path)
    try await pool.join(Member(runID: name, agentID: "worker", topics: ["tasks"]))
    say("[\(name) pid \(getpid())] ready")
    var cursor: Seq = 0
    var round = 0
    while true {
        round += 1
        let wakeID = "\(name)-\(round)"
        try await pool.suspendUntil(WakeCondition(
            conditionID: wakeID, runID: name,
            filter: EventFilter(kinds: .oneOf([PoolEvent.Kind.message(.delivered)]), targets: .oneOf([name])),
            idempotencyKey: wakeID), since: cursor)
        _ = try await pool.wait(wakeID)
        for item in try await pool.inbox(name, after: cursor) {
            cursor = item.cursor
            if item.message.contentRef == "stop" { return }
            let recipients = item.receipt.deliveredTo
            let number = Int(workItem(of: item.message).split(separator: "-").last ?? "") ?? 0
            guard recipients[number % recipients.count] == name else { continue }
            say("[\(name) pid \(getpid())] working on \(workItem(of: item.message)) (message \(item.message.messageID))")
            try await Task.sleep(for: .milliseconds(150))  // the "work"
            let result = Message(messageID: "result-\(workItem(of: item.message))", from: name, to: .run("supervisor"),
                                 contentRef: "done by \(name)", idempotencyKey: "result-\(workItem(of: item.message))")
            do {
                try await pool.reply(to: item.message.messageID, with: result)
            } catch let error as AgentPoolError where error.kind == .idempotencyConflict {
                say("[\(name) pid \(getpid())] \(workItem(of: item.message)) was already completed by another worker")
            }
        }
    }
}

/// Posts a task and registers the supervisor's wake for its outcome.
func post(_ pool: PoolHandle, work: String, attempt: Int) async throws -> MessageID {
    let id = attempt == 0 ? "task-\(work)" : "task-\(work)-retry\(attempt)"
    let receipt = try await pool.send(Message(
        messageID: id, from: "supervisor", to: .topic("tasks"), contentRef: work, idempotencyKey: id,
        responseContract: ResponseContract(expectedResponses: 1, timeoutMillis: responseTimeoutMillis)))
    try await pool.suspendUntil(WakeCondition(
        conditionID: "outcome-\(id)", runID: "supervisor",
        filter: EventFilter(kinds: .oneOf([PoolEvent.Kind.message(.responded), PoolEvent.Kind.message(.timedOut)]), messageIDs: .oneOf([id])),
        idempotencyKey: "outcome-\(id)", timeoutMillis: 4 * responseTimeoutMillis), since: receipt.cursor)
    return id
}

func runSupervisor(path: String) async throws -> Bool {
    let pool = try await openPool(path)
    try await pool.join(Member(runID: "supervisor", agentID: "supervisor"))
    say("database: \(StoreLocation.redacted(path))")
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var workers: [String: Process] = [:]
    // Relay the workers' lines, and learn from them when each is ready and who is busy.
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
    var lineIterator = lines.makeAsyncIterator()
    var ready = 0
    while ready < workerCount, let line = await lineIterator.next() {
        say(line)
        if line.hasSuffix("ready") { ready += 1 }
    }

    var pending: [String: MessageID] = [:]
    for number in 1...taskCount {
        let work = "work-\(number)"
        pending[work] = try await post(pool, work: work, attempt: 0)
    }
    // Kill the first worker that starts working, mid-task.
    var victim: String?
    while victim == nil, let line = await lineIterator.next() {
        say(line)
        if line.contains("working on"), let name = line.split(separator: " ").first?.dropFirst() {
            victim = String(name)
        }
    }
    if let victim, let process = workers[victim] {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        say("[supervisor] killed \(victim) with SIGKILL while it was working")
    }
    Task { while let line = await lineIterator.next() { say(line) } }

    var attempts: [String: Int] = [:]
    while let (work, id) = pending.min(by: { $0.key < $1.key }) {
        let outcome = try await pool.wait("outcome-\(id)")
        let receipt = try await pool.receipt(id)
        if receipt.status == .responded {
            pending[work] = nil
            say("[supervisor] \(work) completed (\(id))")
            continue
        }
        say("[supervisor] \(work) \(receipt.status.rawValue) (wake \(outcome.status.rawValue)); posting it again")
        // A dead worker must not be designated again: remove members whose process is gone.
        for (name, process) in workers where !process.isRunning {
            if (try await pool.members()).contains(where: { $0.runID == name }) { try await pool.leave(name) }
        }
        attempts[work, default: 0] += 1
        pending[work] = try await post(pool, work: work, attempt: attempts[work]!)
    }

    try await pool.send(Message(messageID: "stop", from: "supervisor", to: .topic("tasks"), contentRef: "stop", idempotencyKey: "stop"))
    for process in workers.values where process.isRunning { process.waitUntilExit() }

    let snapshot = try await pool.snapshot()
    let results = snapshot.messages.filter { $0.message.messageID.hasPrefix("result-") }
    let completedOnce = (1...taskCount).allSatisfy { number in results.filter { $0.message.messageID == "result-work-\(number)" }.count == 1 }
    say("pool '\(poolID)': \(snapshot.members.count) members left, \(snapshot.messages.count) messages, \(results.count) results for \(taskCount) tasks, \(attempts.values.reduce(0, +)) re-posted")
    say("checks: every task completed exactly once: \(completedOnce && results.count == taskCount); a worker was killed: \(victim != nil)")
    return completedOnce && results.count == taskCount && victim != nil
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
