import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Testing

/// Several real OS processes, each with its own connections, on one PostgreSQL store
/// (SPEC §4, §7–§9, §11): the same guarantees as several processes on one SQLite file.
@Suite(requiresPostgres) struct PostgreSQLMultiProcessTests {
    func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        try RecordCodec.decodeJSON(type, from: output.trimmingCharacters(in: .whitespacesAndNewlines), what: "child output")
    }

    func numbers(after prefix: String, in output: String) -> [Seq] {
        output.split(separator: "\n").compactMap { line in
            line.hasPrefix(prefix) ? Seq(line.dropFirst(prefix.count)) : nil
        }
    }

    @Test(arguments: [2, 4])
    func writerProcessesAppendingAtOnceLoseNothingDuplicateNothingAndLeaveGaplessSeqs(_ writers: Int) async throws {
        let schema = try TestSchema()
        let perWriter = 150
        let helper = try ChildProcess.helperURL

        // Every child opens the (not yet created) schema at once: creation must be race-free too.
        let children = try (0..<writers).map { try ChildProcess(helper, ["append", schema.url, "p", "\($0)", "\(perWriter)"]) }
        for child in children { child.release() }
        var acknowledged: [String: Seq] = [:]
        for child in children {
            let result = await child.wait()
            #expect(result.status == 0, "writer failed: \(result.stderr)")
            for line in result.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "ack", let seq = Seq(parts[2]) else { continue }
                #expect(acknowledged.updateValue(seq, forKey: String(parts[1])) == nil, "acknowledged twice: \(line)")
            }
        }
        #expect(acknowledged.count == writers * perWriter)

        let store = try schema.open()
        let log = try await store.allRecords("p")
        // Gapless 1…N: one pool_opened, one member_joined per writer, one record per ack.
        #expect(log.map(\.seq) == Array(1...Seq(1 + writers + writers * perWriter)))
        var recorded: [String: Seq] = [:]
        for record in log {
            if case .runMessage(let stored) = record.payload {
                #expect(recorded.updateValue(record.seq, forKey: stored.message.messageID) == nil, "recorded twice")
            }
        }
        // Every acknowledged append is present exactly once, at the seq its writer was told.
        #expect(recorded == acknowledged)

        // Every process computes the same snapshot, equal to the replay of the log.
        let expected = try RecordCodec.encodeJSON(try PoolState.replay(poolID: "p", records: log).snapshot())
        #expect(try RecordCodec.encodeJSON(try await store.snapshot("p")) == expected)
        let readers = try (0..<writers).map { _ in try ChildProcess(helper, ["snapshot", schema.url, "p"]) }
        for reader in readers {
            reader.release()
            let result = await reader.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        }
        try await store.close()
    }

    @Test func eightProcessesSendingTheSameMessageAtOnceRecordItOnceAndAllGetTheSameReceipt() async throws {
        let schema = try TestSchema()
        let pool = try await PoolHandle.open("p", store: try schema.open())
        for run in ["A", "B"] { try await pool.join(Member(runID: run, agentID: "agent")) }
        let senders = try (0..<8).map { _ in try ChildProcess(try ChildProcess.helperURL, ["send", schema.url, "p", "A", "B", "m1", "same-key"]) }
        for sender in senders { sender.release() }
        var receipts: [Receipt] = []
        for sender in senders {
            let result = await sender.wait()
            #expect(result.status == 0, "\(result.stderr)")
            receipts.append(try decode(Receipt.self, result.stdout))
        }
        #expect(Set(receipts).count == 1)
        #expect(receipts.first?.status == .delivered)
        let messageRecords = try await pool.records().filter { $0.kind == .runMessage }
        #expect(messageRecords.count == 2)  // accepted + delivered, once
        #expect(try await pool.snapshot().messages.count == 1)
    }

    @Test func aProcessWaitingOnAWakeReturnsTriggeredWhenAnotherProcessSendsAMatchingMessage() async throws {
        let schema = try TestSchema()
        let pool = try await PoolHandle.open("p", store: try schema.open())
        for run in ["A", "B"] { try await pool.join(Member(runID: run, agentID: "agent")) }
        try await pool.suspendUntil(WakeCondition(
            conditionID: "w", runID: "A",
            filter: EventFilter(sourceRuns: .oneOf(["B"]), kinds: .oneOf([PoolEvent.Kind.message(.delivered)])), idempotencyKey: "wk"))

        let waiter = try ChildProcess(try ChildProcess.helperURL, ["wait", schema.url, "p", "w"])
        #expect(await waiter.line { $0.hasPrefix("waiting") } == "waiting registered")
        let sender = try ChildProcess(try ChildProcess.helperURL, ["send", schema.url, "p", "B", "A", "m1", "k1"])
        sender.release()
        let sent = await sender.wait()
        #expect(sent.status == 0, "\(sent.stderr)")
        let receipt = try decode(Receipt.self, sent.stdout)
        #expect(receipt.status == .delivered)

        let waited = await waiter.wait()
        #expect(waited.status == 0, "\(waited.stderr)")
        let registration = try decode(Registration.self, String(waited.stdout.split(separator: "\n").last ?? ""))
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == receipt.cursor)
    }

    @Test func aWatcherProcessReceivesEveryRecordOfConcurrentWriterProcessesInOrderExactlyOnce() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p")
        let (writers, perWriter) = (3, 100)
        let total = 1 + writers + writers * perWriter  // pool_opened, a join per writer, the appends
        let helper = try ChildProcess.helperURL

        let watcher = try ChildProcess(helper, ["watch", schema.url, "p", "\(total)"])
        #expect(await watcher.line { $0 == "ready" } != nil)
        let appenders = try (0..<writers).map { try ChildProcess(helper, ["append", schema.url, "p", "\($0)", "\(perWriter)"]) }
        for appender in appenders { appender.release() }
        for appender in appenders {
            let result = await appender.wait()
            #expect(result.status == 0, "\(result.stderr)")
        }
        let watched = await watcher.wait()
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(numbers(after: "seq ", in: watched.stdout) == Array(1...Seq(total)))
        try await store.close()
    }
}
