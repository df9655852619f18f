// A child process for the multi-process tests. Every command opens the store itself; DB is a
// SQLite file path or a postgres:// URL (except `hold`, which is SQLite only).
//   append   DB POOL WRITER COUNT        after a line on stdin, records COUNT messages and prints
//                                       "ack <message id> <seq>" after each call returns
//   snapshot DB POOL                     prints the pool's snapshot as JSON
//   wait     DB POOL CONDITION           prints "waiting", then waits for the wake and prints
//                                       its final registration as JSON
//   send     DB POOL FROM TO ID KEY      after a line on stdin, sends ID from FROM to run TO and
//                                       prints the receipt as JSON
//   poll     DB POOL CONDITION           after a line on stdin, polls the wake (timing it out
//                                       when overdue) and prints the registration as JSON
//   watch    DB POOL COUNT               prints "ready", then "seq <n>" for every record it is
//                                       handed by watch(after: 0), until COUNT records
//   open     DB                          opens the store and a pool; prints "opened" or exits 1 with
//                                       "error: <kind> <code>"
//   leased   DB POOL RUN LEASE_MS        joins RUN with a lease, registers wake "wake-RUN",
//                                       prints "ready", then heartbeats every LEASE_MS/4 forever
//   worker   DB POOL RUN LEASE_MS        joins RUN (topic "tasks") with a member lease, heartbeats
//                                       every LEASE_MS/4, prints "ready"; after a line on stdin
//                                       claims the next task for 60 s and prints "claimed <id>
//                                       <token>" (or "none"), then goes on heartbeating forever
//   claimall DB POOL RUN                 joins RUN (topic "tasks"), prints "ready"; after a line on
//                                       stdin claims tasks until none is left, printing
//                                       "claimed <id> <token>" for each
//   drain    DB POOL RUN                 joins RUN (topic "tasks"), prints "ready"; after a line on
//                                       stdin works the claim stream: prints "claimed <id>
//                                       <token>", completes the task, prints "done <id>"; stops
//                                       when its stdin closes
//   complete DB POOL RUN ID TOKEN        completes claimed message ID with TOKEN; prints the
//                                       receipt as JSON, or "error: <kind>" and exits 1
//   pingpong DB POOL SYNC WAKEUP COUNT   SQLite only: opens the file with synchronous SYNC (NORMAL
//                                       or FULL) and wake-ups on WAKEUP ("shared-word" or
//                                       "file-events"), joins run "writer", prints "ready", then
//                                       COUNT times: waits for a line on stdin and commits one
//                                       message. It never says what it committed: a watcher
//                                       learns of each commit only through its wake-up.
//   hold     DB                          takes the write lock (BEGIN IMMEDIATE), prints "locked",
//                                       and holds it until its stdin closes
//   holdwrite DB POOL RUN                inside a store write (SQLite's write lock held) joins
//                                       RUN, prints "holding", waits until its stdin closes, then
//                                       commits and prints "committed"
//   consume  DB POOL NAME LAST [PAUSE]   durable consumer NAME: for each record prints
//                                       "processed <seq>", acks it, prints "acked <seq>"; exits
//                                       after seq LAST. With PAUSE, it stops after processing
//                                       record PAUSE and before acking it, until stdin closes:
//                                       the moment a test kills it.
import AgentPool
import AgentPoolSQLite
import AgentPoolStores
import Foundation
import GRDB

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func openStore(_ location: String) throws -> any PoolStore {
    try StoreLocation.open(location, logger: StoreLocation.quietLogger())
}

/// `DB POOL RUN`: joins RUN to topic "tasks", prints "ready", and waits for the barrier line on
/// stdin, so that every worker of a test starts at the same moment.
func joinTasksAtTheBarrier(_ arguments: [String]) async throws -> (PoolHandle, RunID) {
    let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
    let run = arguments[3]
    try await pool.join(Member(runID: run, agentID: "worker", topics: ["tasks"]))
    say("ready")
    _ = readLine()
    return (pool, run)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch (arguments.first, arguments.count) {
    case ("append", 5):
        let (path, pool, writer, count) = (arguments[1], arguments[2], arguments[3], Int(arguments[4]) ?? 0)
        let store = try openStore(path)
        try await store.openPool(pool)
        try await store.join(pool, Member(runID: "writer-\(writer)", agentID: "writer"))
        _ = readLine()  // the barrier: every writer starts appending at the same moment
        for index in 0..<count {
            let id = "w\(writer)-m\(index)"
            let message = Message(messageID: id, from: "writer-\(writer)", to: .pool(pool), contentRef: "c", idempotencyKey: id)
            let record = try await store.recordMessage(pool, StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted)))
            say("ack \(id) \(record?.seq ?? -1)")
        }
        try await store.close()
    case ("snapshot", 3):
        let store = try openStore(arguments[1])
        say(try RecordCodec.encodeJSON(try await store.snapshot(arguments[2])))
        try await store.close()
    case ("wait", 4):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let current = try await pool.pollWake(arguments[3])
        say("waiting \(current.status.rawValue)")
        say(try RecordCodec.encodeJSON(try await pool.wait(arguments[3])))
    case ("send", 7):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        _ = readLine()
        let message = Message(messageID: arguments[5], from: arguments[3], to: .run(arguments[4]), contentRef: "c", idempotencyKey: arguments[6])
        say(try RecordCodec.encodeJSON(try await pool.send(message)))
    case ("poll", 4):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        _ = readLine()
        say(try RecordCodec.encodeJSON(try await pool.pollWake(arguments[3])))
    case ("watch", 4):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let count = Int(arguments[3]) ?? 0
        say("ready")
        var received = 0
        for try await record in pool.watch(after: 0) {
            say("seq \(record.seq)")
            received += 1
            if received == count { break }
        }
    case ("consume", 5), ("consume", 6):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let consumer = try pool.consumer(arguments[3])
        let last = Seq(arguments[4]) ?? 0
        let pause = arguments.count == 6 ? Seq(arguments[5]) : nil
        let resumed = try await consumer.cursor()
        say("resuming after \(resumed)")
        if resumed >= last { break }
        for try await record in try await consumer.records() {
            say("processed \(record.seq)")
            if record.seq == pause { _ = readLine() }
            try await consumer.ack(record.seq)
            say("acked \(record.seq)")
            if record.seq >= last { break }
        }
    case ("open", 2), ("openatgo", 2):
        // openatgo: waits for the go line first, so that several processes open at one moment.
        if arguments[0] == "openatgo" {
            say("ready")
            _ = readLine()
        }
        do {
            let store = try openStore(arguments[1])
            try await store.openPool("p")
            try await store.close()
            say("opened")
        } catch let error as AgentPoolError {
            say("error: \(error.kind.rawValue) \(error.code ?? 0) \(error.message)")
            exit(1)
        }
    case ("leased", 5):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let (run, lease) = (arguments[3], Millis(arguments[4]) ?? 1_000)
        try await pool.join(Member(runID: run, agentID: "leased"), leaseMillis: lease)
        try await pool.suspendUntil(WakeCondition(
            conditionID: "wake-\(run)", runID: run, filter: EventFilter(kinds: .oneOf([])), idempotencyKey: "wake-\(run)"))
        say("ready")
        while true {
            try await Task.sleep(for: .milliseconds(lease / 4))  // the heartbeat cadence
            try await pool.heartbeat(run)
        }
    case ("worker", 5):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let (run, lease) = (arguments[3], Millis(arguments[4]) ?? 1_000)
        try await pool.join(Member(runID: run, agentID: "worker", topics: ["tasks"]), leaseMillis: lease)
        // Detached: top-level code runs on the main actor, which the blocking readLine below holds.
        let heartbeats = Task.detached {
            while true {
                try await Task.sleep(for: .milliseconds(lease / 4))  // the heartbeat cadence of a live member
                try await pool.heartbeat(run)
            }
        }
        say("ready")
        _ = readLine()  // the test sends the task, then lets it claim
        let claimed = try await pool.claimNext(run, from: .topic("tasks"), leaseMillis: 60_000)
        say(claimed.map { "claimed \($0.message.messageID) \($0.token)" } ?? "none")
        try await heartbeats.value  // "works" until killed
    case ("claimall", 4):
        let (pool, run) = try await joinTasksAtTheBarrier(arguments)
        while let claimed = try await pool.claimNext(run, from: .topic("tasks"), leaseMillis: 600_000) {
            say("claimed \(claimed.message.messageID) \(claimed.token)")
        }
    case ("drain", 4):
        let (pool, run) = try await joinTasksAtTheBarrier(arguments)
        let stream = try pool.claims(run, from: .topic("tasks"), leaseMillis: 600_000)
        // Detached: top-level code runs on the main actor, which the blocking readLine below holds.
        let work = Task.detached {
            for try await claimed in stream {
                say("claimed \(claimed.message.messageID) \(claimed.token)")
                _ = try await pool.complete(claimed.message.messageID, run: run, token: claimed.token)
                say("done \(claimed.message.messageID)")
            }
        }
        _ = readLine()  // the test closes stdin once every task is done
        work.cancel()
        do { try await work.value } catch is CancellationError {}
    case ("stream", 5):
        // A worker in the claim stream: joins, waits for the go line, then claims its first task
        // from the stream (sleeping while nothing is claimable), or gives up after the timeout.
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        let (run, timeout) = (arguments[3], Int(arguments[4]) ?? 60_000)
        try await pool.join(Member(runID: run, agentID: "worker", topics: ["tasks"]))
        say("ready")
        _ = readLine()
        let stream = try pool.claims(run, from: .topic("tasks"), leaseMillis: 60_000)
        // Detached: top-level code runs on the main actor.
        let first = Task.detached { () throws -> ClaimedMessage? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()
        }
        let timer = Task.detached {
            try await Task.sleep(for: .milliseconds(timeout))
            first.cancel()
        }
        say("streaming")
        let claimed = try await first.value
        timer.cancel()
        say(claimed.map { "claimed \($0.message.messageID) \($0.token)" } ?? "none")
    case ("complete", 6):
        let pool = try PoolHandle(arguments[2], store: try openStore(arguments[1]))
        do {
            let receipt = try await pool.complete(arguments[4], run: arguments[3], token: Int64(arguments[5]) ?? -1)
            say(try RecordCodec.encodeJSON(receipt))
        } catch let error as AgentPoolError {
            say("error: \(error.kind.rawValue)")
            exit(1)
        }
    case ("holdwrite", 4):
        let store = try openStore(arguments[1])
        try await store.write(arguments[2]) { writer in
            _ = try writer.append(.memberJoined(Member(runID: arguments[3], agentID: "holder")))
            say("holding")
            while readLine() != nil {}
        }
        say("committed")
    case ("pingpong", 6):
        var options = SQLiteOptions()
        options.logger = StoreLocation.quietLogger()
        options.synchronous = SQLiteOptions.Synchronous(rawValue: arguments[3]) ?? .normal
        options.sharedWordWakeUps = arguments[4] == "shared-word"
        let store = try SQLiteStore(path: arguments[1], options: options)
        let pool = arguments[2]
        try await store.openPool(pool)
        try await store.join(pool, Member(runID: "writer", agentID: "writer"))
        say("ready")
        for index in 0..<(Int(arguments[5]) ?? 0) {
            guard readLine() != nil else { break }
            let id = "m\(index)"
            let message = Message(messageID: id, from: "writer", to: .pool(pool), contentRef: "c", idempotencyKey: id)
            _ = try await store.recordMessage(pool, StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted)))
        }
        try await store.close()
    case ("hold", 2):
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the lock outlives the first access
        let queue = try DatabaseQueue(path: arguments[1], configuration: configuration)
        try queue.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        say("locked")
        _ = readLine()
        try queue.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
    default:
        fail("unknown command: \(arguments.joined(separator: " "))")
    }
} catch {
    fail("\(error)")
}
