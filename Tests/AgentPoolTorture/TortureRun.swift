import AgentPool
import Foundation

/// The parent: runs the rounds, kills the writers, verifies the store after each round, and
/// follows the pool with a watcher throughout; with a server to control, some rounds crash the
/// PostgreSQL server (immediate shutdown) and restart it while the writers run.
struct TortureRun {
    static let poolID = "torture"
    static let stableRuns = ["s0", "s1"]
    static let maxWriters = 16
    /// The bound on every wait of a round: a writer's first acknowledgement, its first one after
    /// a restart, the watcher catching up.
    static let waitBound = Duration.seconds(30)

    let rounds: Int
    let writers: Int
    let seed: UInt64
    let target: TortureTarget
    /// The server to crash and restart (PostgreSQL only), every `restartEvery`-th round.
    var server: ServerControl?
    var restartEvery = 3

    /// What the whole run found.
    struct Summary {
        var rounds = 0, kills = 0, verified = 0, writerFailures = 0
        var lost = 0, duplicated = 0, gaps = 0, replayMismatches = 0, untriggered = 0, integrityFailures = 0
        var watcherMismatches = 0, watcherResumes = 0, restarts = 0
        /// Per writer and restart: from the server accepting connections again to the writer's
        /// next acknowledged operation.
        var recoveries: [Duration] = []
        var failures: [String] = []
        var seed: UInt64 = 0

        var line: String {
            var text = "torture: rounds \(rounds), kills \(kills), operations verified \(verified), lost \(lost), duplicated \(duplicated), "
                + "gaps \(gaps), replay mismatches \(replayMismatches), untriggered wakes \(untriggered), "
                + "integrity failures \(integrityFailures), writer failures \(writerFailures), "
                + "watcher mismatches \(watcherMismatches), watcher resumes \(watcherResumes), server restarts \(restarts)"
            if let slowest = recoveries.max() {
                let sorted = recoveries.sorted()
                text += ", recovery after restart median \(sorted[sorted.count / 2].wholeMillis) ms max \(slowest.wholeMillis) ms"
            }
            return text + ", seed \(seed)"
        }
    }

    func run() async throws -> Summary {
        let store = try await target.open()
        let pool = try await PoolHandle.open(Self.poolID, store: store)
        for run in Self.stableRuns { try await pool.join(Member(runID: run, agentID: "stable", topics: ["t"])) }
        let watcher = TortureWatcher(store: store, pool: Self.poolID)

        var summary = Summary(seed: seed)
        var rng = TortureRandom(seed: seed)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for round in 1...rounds {
            var children: [WriterProcess] = []
            for index in 0..<min(writers, Self.maxWriters) {
                children.append(try WriterProcess(executable: executable, arguments: [
                    "--writer", target.location, "\(index)", "\(seed &+ UInt64(round * 100 + index))",
                ]))
            }
            if let server, round % restartEvery == 0 {
                summary.failures += try await restartServer(server, under: children, summary: &summary).map { "round \(round): \($0)" }
            }
            // Each writer dies at its own random moment: while opening, mid-transaction, between calls.
            let start = DispatchTime.now()
            var acks: [String] = []
            for (index, child) in children.enumerated() {
                let moment = start.uptimeNanoseconds + UInt64(target.killWindowStart + rng.next(400)) * 1_000_000
                let now = DispatchTime.now().uptimeNanoseconds
                if moment > now { try await Task.sleep(for: .nanoseconds(moment - now)) }
                if await child.kill() {
                    summary.kills += 1
                } else {
                    // A writer only ends by being killed: an exit means it hit an error it must not.
                    summary.writerFailures += 1
                    summary.failures.append("round \(round): writer \(index) exited with status \(child.process.terminationStatus)")
                }
                acks += child.lines.filter { $0.hasPrefix("ack ") }
            }
            var findings = try await verify(store: store, acks: acks)
            let mismatches = await watcher.check(against: try await store.allRecords(Self.poolID, pageSize: 5000), timeout: Self.waitBound)
            findings.watcherMismatches += mismatches.isEmpty ? 0 : 1
            findings.messages += mismatches
            summary.rounds = round
            summary.verified += acks.count
            summary.lost += findings.lost
            summary.duplicated += findings.duplicated
            summary.gaps += findings.gaps
            summary.replayMismatches += findings.replayMismatches
            summary.untriggered += findings.untriggered
            summary.integrityFailures += findings.integrityFailures
            summary.watcherMismatches += findings.watcherMismatches
            summary.failures += findings.messages.map { "round \(round): \($0)" }
            if !findings.messages.isEmpty {
                for message in findings.messages.prefix(10) { FileHandle.standardError.write(Data("round \(round): \(message)\n".utf8)) }
            }
        }
        summary.watcherResumes = watcher.resumes
        await watcher.stop()
        try await store.close()
        await target.remove()
        return summary
    }

    /// Once every writer has acknowledged an operation, crashes the server and starts it again,
    /// then waits until every writer acknowledged one more (each retries on the typed `busy`,
    /// a writer that sees any other error exits and fails the run). Returns what went wrong.
    private func restartServer(_ server: ServerControl, under children: [WriterProcess], summary: inout Summary) async throws -> [String] {
        let begun = ContinuousClock.now
        for (index, child) in children.enumerated() where await child.waitForAck(after: begun, timeout: Self.waitBound) == nil {
            return ["writer \(index) acknowledged nothing within \(Self.waitBound) before the restart"]
        }
        try server.crash()
        try server.restart()
        summary.restarts += 1
        let up = ContinuousClock.now
        var failures: [String] = []
        for (index, child) in children.enumerated() {
            if let at = await child.waitForAck(after: up, timeout: Self.waitBound) {
                summary.recoveries.append(at - up)
            } else {
                failures.append("writer \(index) acknowledged nothing within \(Self.waitBound) after the server restarted")
            }
        }
        return failures
    }

    struct Findings {
        var lost = 0, duplicated = 0, gaps = 0, replayMismatches = 0, untriggered = 0, integrityFailures = 0, watcherMismatches = 0
        var messages: [String] = []
    }

    /// Checks the store against the acknowledgements and the invariants of the log.
    func verify(store: any PoolStore, acks: [String]) async throws -> Findings {
        var findings = Findings()
        let log = try await store.allRecords(Self.poolID, pageSize: 5000)
        let snapshot = try await store.snapshot(Self.poolID)

        // Seqs gapless 1…N.
        for (index, record) in log.enumerated() where record.seq != Seq(index + 1) {
            findings.gaps += 1
            findings.messages.append("seq \(record.seq) at position \(index + 1)")
        }
        // The projections equal the replay of the log.
        let replayed = try PoolState.replay(poolID: Self.poolID, records: log).snapshot()
        if replayed != snapshot {
            findings.replayMismatches += 1
            findings.messages.append("snapshot differs from the replay of the log")
        }
        // No message or wake first recorded twice; no idempotency key under two ids.
        var firstRecords: [String: Int] = [:]
        var idsByKey: [String: Set<String>] = [:]
        for record in log {
            switch record.payload {
            case .runMessage(let stored):
                if stored.receipt.status.isInitial { firstRecords["m:" + stored.message.messageID, default: 0] += 1 }
                idsByKey["m:" + stored.message.idempotencyKey, default: []].insert(stored.message.messageID)
            case .wake(let stored):
                if stored.registration.status == .registered { firstRecords["w:" + stored.condition.conditionID, default: 0] += 1 }
                idsByKey["w:" + stored.condition.idempotencyKey, default: []].insert(stored.condition.conditionID)
            default:
                break
            }
        }
        for (id, count) in firstRecords where count > 1 {
            findings.duplicated += 1
            findings.messages.append("\(id) recorded \(count) times")
        }
        for (key, ids) in idsByKey where ids.count > 1 {
            findings.duplicated += 1
            findings.messages.append("key \(key) used by \(ids.sorted())")
        }
        // Every registered wake: no committed record after its registration matches it.
        for wake in snapshot.wakes where wake.registration.status == .registered {
            let registeredAt = log.first { record in
                if case .wake(let stored) = record.payload {
                    return stored.condition.conditionID == wake.condition.conditionID && stored.registration.status == .registered
                }
                return false
            }?.seq ?? 0
            if let match = log.dropFirst(Int(registeredAt)).first(where: { record in
                PoolEvent(record).map { !$0.isWakeEvent && wake.compiledFilter.matches($0) } ?? false
            }) {
                findings.untriggered += 1
                findings.messages.append("wake \(wake.condition.conditionID) still registered though seq \(match.seq) matches it")
            }
        }
        // Every acknowledged operation is in the file.
        let messages = Dictionary(uniqueKeysWithValues: snapshot.messages.map { ($0.message.messageID, $0) })
        let wakes = Dictionary(uniqueKeysWithValues: snapshot.wakes.map { ($0.condition.conditionID, $0) })
        for ack in acks {
            let fields = ack.split(separator: " ").map(String.init)
            guard fields.count >= 3 else { continue }
            var present = true
            switch fields[1] {
            case "send", "reply":
                // The acknowledged receipt is the record at its cursor, and the message is projected.
                let (id, key, status, cursor) = (fields[2], fields[3], fields[4], Int(fields[5]) ?? 0)
                let atCursor = cursor >= 1 && cursor <= log.count ? log[cursor - 1] : nil
                if case .runMessage(let stored)? = atCursor?.payload {
                    present = stored.message.messageID == id && stored.receipt.status.rawValue == status
                } else {
                    present = false
                }
                present = present && messages[id]?.message.idempotencyKey == key
            case "join", "leave":
                let (run, cursor) = (fields[2], Int(fields[3]) ?? 0)
                present = log.prefix(cursor).contains { record in
                    switch record.payload {
                    case .memberJoined(let member): return fields[1] == "join" && member.runID == run
                    case .memberLeft(let member, _): return fields[1] == "leave" && member.runID == run
                    default: return false
                    }
                }
            case "wake":
                let (id, key, status) = (fields[2], fields[3], fields[4])
                present = wakes[id]?.condition.idempotencyKey == key && log.contains { record in
                    if case .wake(let stored) = record.payload {
                        return stored.condition.conditionID == id && stored.registration.status.rawValue == status
                    }
                    return false
                }
            case "cancel":
                present = messages[fields[2]].map { $0.receipt.status.isFinal } ?? false
            case "cancelwake":
                present = wakes[fields[2]].map { $0.registration.status.isFinal } ?? false
            default:
                break
            }
            if !present {
                findings.lost += 1
                findings.messages.append("acknowledged but not in the file: \(ack)")
            }
        }
        if let integrity = try target.integrityCheck(store), integrity != ["ok"] {
            findings.integrityFailures += 1
            findings.messages.append("integrity check failed")
        }
        return findings
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var wholeMillis: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
