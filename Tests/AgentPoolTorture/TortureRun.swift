import AgentPool
import AgentPoolSQLite
import Foundation

/// The parent: runs the rounds, kills the writers, verifies the file after each round.
struct TortureRun {
    static let poolID = "torture"
    static let stableRuns = ["s0", "s1"]
    static let maxWriters = 16

    let rounds: Int
    let writers: Int
    let seed: UInt64

    /// What the whole run found.
    struct Summary {
        var rounds = 0, kills = 0, verified = 0, writerFailures = 0
        var lost = 0, duplicated = 0, gaps = 0, replayMismatches = 0, untriggered = 0, integrityFailures = 0
        var failures: [String] = []
        var seed: UInt64 = 0

        var line: String {
            "torture: rounds \(rounds), kills \(kills), operations verified \(verified), lost \(lost), duplicated \(duplicated), "
                + "gaps \(gaps), replay mismatches \(replayMismatches), untriggered wakes \(untriggered), "
                + "integrity failures \(integrityFailures), writer failures \(writerFailures), seed \(seed)"
        }
    }

    func run() async throws -> Summary {
        let directory = NSTemporaryDirectory() + "agentpool-torture-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/torture.sqlite"
        var options = SQLiteOptions()
        options.logger.logLevel = .warning
        let store = try SQLiteStore(path: path, options: options)
        let pool = try await PoolHandle.open(Self.poolID, store: store)
        for run in Self.stableRuns { try await pool.join(Member(runID: run, agentID: "stable", topics: ["t"])) }

        var summary = Summary(seed: seed)
        var rng = TortureRandom(seed: seed)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for round in 1...rounds {
            var children: [(Process, Pipe)] = []
            for index in 0..<min(writers, Self.maxWriters) {
                let process = Process()
                let output = Pipe()
                process.executableURL = executable
                process.arguments = ["--writer", path, "\(index)", "\(seed &+ UInt64(round * 100 + index))"]
                process.standardOutput = output
                process.standardError = FileHandle.standardError
                try process.run()
                children.append((process, output))
            }
            // Each writer dies at its own random moment: while opening, mid-transaction, between calls.
            let start = DispatchTime.now()
            for (process, _) in children {
                let moment = start.uptimeNanoseconds + UInt64(20 + rng.next(400)) * 1_000_000
                let now = DispatchTime.now().uptimeNanoseconds
                if moment > now { try await Task.sleep(for: .nanoseconds(moment - now)) }
                kill(process.processIdentifier, SIGKILL)
            }
            var acks: [String] = []
            for (process, output) in children {
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if process.terminationReason == .uncaughtSignal {
                    summary.kills += 1
                } else {
                    // A writer only ends by being killed: an exit means it hit an error it must not.
                    summary.writerFailures += 1
                    summary.failures.append("round \(round): a writer exited with status \(process.terminationStatus)")
                }
                acks += text.split(separator: "\n").filter { $0.hasPrefix("ack ") }.map(String.init)
            }
            let findings = try await verify(store: store, acks: acks)
            summary.rounds = round
            summary.verified += acks.count
            summary.lost += findings.lost
            summary.duplicated += findings.duplicated
            summary.gaps += findings.gaps
            summary.replayMismatches += findings.replayMismatches
            summary.untriggered += findings.untriggered
            summary.integrityFailures += findings.integrityFailures
            summary.failures += findings.messages.map { "round \(round): \($0)" }
            if !findings.messages.isEmpty {
                for message in findings.messages.prefix(10) { FileHandle.standardError.write(Data("round \(round): \(message)\n".utf8)) }
            }
        }
        try await store.close()
        return summary
    }

    struct Findings {
        var lost = 0, duplicated = 0, gaps = 0, replayMismatches = 0, untriggered = 0, integrityFailures = 0
        var messages: [String] = []
    }

    /// Checks the file against the acknowledgements and the invariants of the log.
    func verify(store: SQLiteStore, acks: [String]) async throws -> Findings {
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
        if try store.integrityCheck() != ["ok"] {
            findings.integrityFailures += 1
            findings.messages.append("integrity check failed")
        }
        return findings
    }
}
