import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Logging
import Testing

/// Every verb's happy path, run as a real process on a real file, with assertions on its JSON.
@Suite struct VerbTests {
    @Test func openJoinSendReplyInboxSnapshotPoolsLeave() async throws {
        let cli = try CLIHarness()

        let opened = try await cli.succeed(["open", "p", "--required-policy", "r1", "--include-sender", "--policy", "pp"])
        let snapshot = try opened.decode(Snapshot.self)
        #expect(snapshot.poolID == "p")
        #expect(snapshot.cursor == 1)
        #expect(snapshot.messagePolicy == MessagePolicy(requiredPolicyRefs: ["r1"], includeSenderInPoolBroadcast: true))
        #expect(snapshot.policyRefs == ["pp"])
        // Opening again with the same config writes nothing.
        let reopened = try await cli.succeed(["open", "p", "--policy", "pp", "--required-policy", "r1", "--include-sender"])
        #expect(try reopened.decode(Snapshot.self).cursor == 1)

        let joined = try await cli.succeed(["join", "p", "--run", "a", "--agent", "writer", "--policy", "r1"])
        #expect(try joined.object()["cursor"] as? Int == 2)
        #expect(try joined.object()["run_id"] as? String == "a")
        try await cli.succeed(["join", "p", "--run", "b", "--agent", "reviewer", "--topic", "t", "--policy", "r1"])

        // A message without the required policy ref fails; the receipt says why.
        let sent = try await cli.succeed(["send", "p", "--id", "m1", "--from", "a", "--to", "agent:reviewer", "--content", "c1", "--key", "k1"])
        let receipt = try sent.decode(Receipt.self)
        #expect(receipt.messageID == "m1")
        #expect(receipt.status == .failed)
        #expect(receipt.reason?.contains("r1") == true)

        let second = try await CLIHarness.withPlainPool()
        let delivered = try await second.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"])
        let deliveredReceipt = try delivered.decode(Receipt.self)
        #expect(deliveredReceipt.status == .delivered)
        #expect(deliveredReceipt.deliveredTo == ["b"])
        // The same message again returns the same receipt and writes nothing.
        #expect(try await second.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"]).decode(Receipt.self) == deliveredReceipt)

        let inbox = try await second.succeed(["inbox", "q", "--run", "b"])
        let items = try inbox.decode([InboxItem].self)
        #expect(items.map(\.message.messageID) == ["m1"])
        #expect(items.first?.message.contentRef == "c1")
        #expect(try await second.succeed(["inbox", "q", "--run", "b", "--after", "\(items[0].cursor)"]).decode([InboxItem].self).isEmpty)

        let reply = try await second.succeed(["send", "q", "--id", "r1", "--from", "b", "--to", "run:a", "--content", "ok", "--key", "rk1", "--reply-to", "m1"])
        #expect(try reply.decode(Receipt.self).status == .delivered)
        let afterReply = try await second.succeed(["snapshot", "q"]).decode(Snapshot.self)
        #expect(afterReply.members.map(\.runID) == ["a", "b"])
        #expect(afterReply.topics == ["t"])
        #expect(afterReply.messages.map(\.message.messageID) == ["m1", "r1"])
        #expect(afterReply.messages.first?.receipt.status == .responded)
        #expect(afterReply.messages.last?.message.replyTo == "m1")

        let broadcast = try await second.succeed(["send", "q", "--id", "m2", "--from", "a", "--to", "pool", "--content", "c2", "--key", "k2"])
        #expect(try broadcast.decode(Receipt.self).deliveredTo == ["b"])
        let expired = try await second.succeed(["send", "q", "--id", "m3", "--from", "a", "--to", "run:b", "--content", "c3", "--key", "k3", "--expires-at", "1"])
        #expect(try expired.decode(Receipt.self).status == .expired)

        let left = try await second.succeed(["leave", "q", "--run", "a"])
        let leftCursor = try #require(try left.object()["cursor"] as? Int)
        let final = try await second.succeed(["snapshot", "q"]).decode(Snapshot.self)
        #expect(final.members.map(\.runID) == ["b"])
        #expect(final.cursor == Seq(leftCursor))

        let pools = try await second.succeed(["pools"]).decode([PoolSummary].self)
        #expect(pools == [PoolSummary(poolID: "q", lastSeq: Seq(leftCursor), memberCount: 1, messageCount: 4)])
    }

    @Test func tailPrintsOneRecordPerLineAndHonoursAfterAndLimit() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let all = try await cli.succeed(["tail", "p"])
        let records = try all.lines.map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)) }
        #expect(records.map(\.seq) == Array(1...6))
        #expect(records.map(\.kind) == [.poolOpened, .memberJoined, .memberJoined, .runMessage, .runMessage, .wake])
        // Each line is exactly the library's canonical encoding of the record.
        #expect(try records.map { try RecordCodec.encodeJSON($0) } == all.lines)

        let page = try await cli.succeed(["tail", "p", "--after", "2", "--limit", "2"])
        #expect(try page.lines.map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)).seq } == [3, 4])
        #expect(try await cli.succeed(["tail", "p", "--after", "6"]).stdout.isEmpty)
    }

    @Test func wakeRegistersAndTriggersAtOnceWithSince() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let registered = try await cli.succeed(["wake", "p", "--id", "w1", "--run", "a", "--kind", "run_message_delivered", "--key", "wk1"])
        let registration = try registered.decode(Registration.self)
        #expect(registration.conditionID == "w1")
        #expect(registration.runID == "a")
        #expect(registration.status == .registered)

        // m1 was delivered at seq 5: with --since 0 the wake triggers at once, and --wait returns.
        let triggered = try await cli.succeed([
            "wake", "p", "--id", "w2", "--run", "b", "--kind", "run_message_delivered", "--from", "a",
            "--key", "wk2", "--since", "0", "--wait",
        ])
        let fired = try triggered.decode(Registration.self)
        #expect(fired.status == .triggered)
        #expect(fired.matchingCursor == 5)

        let timedOut = try await cli.succeed(["wake", "p", "--id", "w3", "--run", "b", "--key", "wk3", "--timeout-ms", "0", "--wait"])
        #expect(try timedOut.decode(Registration.self).status == .timedOut)
    }

    @Test func consumersListsDurableConsumersWithLag() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        #expect(try await cli.succeed(["consumers", "p"]).decode([ConsumerStatus].self).isEmpty)
        var options = SQLiteOptions()
        options.logger.logLevel = .warning
        let store = try SQLiteStore(path: cli.db, options: options)
        try await PoolHandle("p", store: store).consumer("indexer").ack(4)
        try await store.close()
        let consumers = try await cli.succeed(["consumers", "p"]).decode([ConsumerStatus].self)
        #expect(consumers.map(\.name) == ["indexer"])
        #expect(consumers.first?.cursor == 4)
        #expect(consumers.first?.lag == 2)
    }

    @Test func doctorReportsAHealthyFile() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let report = try await cli.succeed(["doctor"]).object()
        #expect(report["healthy"] as? Bool == true)
        #expect(report["integrity"] as? [String] == ["ok"])
        let settings = try #require(report["settings"] as? [String: Any])
        #expect(settings["journal_mode"] as? String == "wal")
        #expect(settings["foreign_keys"] as? Bool == true)
        #expect(settings["schema_version"] as? Int == SQLiteStore.schemaVersion)
        let pools = try #require(report["pools"] as? [[String: Any]])
        #expect(pools.count == 1)
        #expect(pools.first?["replay_matches"] as? Bool == true)
    }

    @Test func backupCopiesTheDatabaseAndRefusesToOverwrite() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let destination = cli.directory.path + "/backups/copy.sqlite"
        let result = try await cli.succeed(["backup", destination]).object()
        let pools = try #require(result["pools"] as? [[String: Any]])
        #expect(pools.first?["pool_id"] as? String == "p")
        #expect(pools.first?["last_seq"] as? Int == 6)
        let exported = try await cli.succeed(["export", "p"]).stdout
        let fromCopy = try await cli.run(["--db", destination, "export", "p"], passDB: false)
        #expect(fromCopy.stdout == exported)
        let again = try await cli.run(["backup", destination])
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("error: invalidInput"))
        #expect(try await cli.run(["--db", destination, "export", "p"], passDB: false).stdout == exported)
    }

    @Test func heartbeatRenewsALeaseAndSweepRemovesAnExpiredMember() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        try await cli.succeed(["join", "p", "--run", "leased", "--agent", "w", "--lease-ms", "60000"])
        let renewed = try await cli.succeed(["heartbeat", "p", "--run", "leased"]).object()
        #expect(renewed["expires_at"] is Int)
        let permanent = try await cli.succeed(["heartbeat", "p", "--run", "a"]).object()
        #expect(permanent["expires_at"] == nil)
        let missing = try await cli.run(["heartbeat", "p", "--run", "ghost"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: notMember"))

        // A lease of 1 ms has run out by the time the next process sweeps.
        try await cli.succeed(["join", "p", "--run", "brief", "--agent", "w", "--lease-ms", "1"])
        let before = try await cli.succeed(["snapshot", "p"]).decode(Snapshot.self)
        #expect(before.member("brief") != nil)
        var swept = try await cli.succeed(["sweep"]).stdout
        while try await cli.succeed(["snapshot", "p"]).decode(Snapshot.self).member("brief") != nil {
            swept = try await cli.succeed(["sweep"]).stdout  // the clock has not reached the expiry yet
        }
        #expect(swept.contains(#""pool_id":"p""#))
        let left = try await cli.succeed(["tail", "p", "--after", "\(before.cursor ?? 0)"]).stdout
        #expect(left.contains(#""reason":"lease_expired""#))
    }

    @Test func tableFormatAlignsColumns() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        try await cli.succeed(["open", "a-much-longer-pool-name"])
        let table = try await cli.succeed(["--format", "table", "pools"])
        #expect(table.lines.count == 3)
        #expect(table.lines[0].hasPrefix("POOL"))
        // Every column starts at the same offset on every line.
        let offsets = table.lines.map { line in
            line.indices.filter { $0 != line.startIndex && line[line.index(before: $0)] == " " && line[$0] != " " }
                .map { line.distance(from: line.startIndex, to: $0) }
        }
        #expect(Set(offsets.map { $0 }).count == 1, "\(table.stdout)")
        // The option is accepted after the verb too.
        #expect(try await cli.succeed(["snapshot", "p", "--format", "table"]).lines.first?.hasPrefix("KIND") == true)
    }

    @Test func tablesListIdsInNaturalOrderAndShowMessageContent() async throws {
        let cli = try await CLIHarness.withPlainPool()
        for task in ["task-10", "task-2", "task-1"] {
            try await cli.succeed(["send", "q", "--id", task, "--from", "a", "--to", "topic:t", "--content", "s3://\(task)", "--key", task])
        }
        // JSON keeps the store's byte order.
        #expect(try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self).messages.map(\.message.messageID) == ["task-1", "task-10", "task-2"])
        let table = try await cli.succeed(["--format", "table", "snapshot", "q"])
        let messages = table.lines.filter { $0.hasPrefix("message") }
        #expect(messages.map { $0.split(separator: " ")[1] } == ["task-1", "task-2", "task-10"])
        #expect(messages.allSatisfy { $0.hasSuffix("content=s3://\($0.split(separator: " ")[1])") }, "\(table)")
    }

    @Test func theDatabaseComesFromAGENTPOOL_DBThenTheWorkingDirectory() async throws {
        let cli = try CLIHarness()
        var environment = ProcessInfo.processInfo.environment
        environment["AGENTPOOL_DB"] = cli.db
        let opened = try await cli.run(["open", "env-pool"], passDB: false, environment: environment)
        #expect(opened.status == 0, "\(opened)")
        #expect(FileManager.default.fileExists(atPath: cli.db))
        let pools = try await cli.run(["pools"]).decode([PoolSummary].self)
        #expect(pools.map(\.poolID) == ["env-pool"])

        environment["AGENTPOOL_DB"] = nil
        let working = URL(fileURLWithPath: cli.directory.path + "/work", isDirectory: true)
        try FileManager.default.createDirectory(at: working, withIntermediateDirectories: true)
        let local = try await cli.run(["open", "local-pool"], passDB: false, environment: environment, currentDirectory: working)
        #expect(local.status == 0, "\(local)")
        #expect(FileManager.default.fileExists(atPath: working.path + "/agentpool.sqlite"))
    }
}

extension CLIHarness {
    /// A second harness whose pool `q` is open with the default config, with members `a` (writer)
    /// and `b` (reviewer, topic `t`).
    static func withPlainPool() async throws -> CLIHarness {
        let cli = try CLIHarness()
        try await cli.succeed(["open", "q"])
        try await cli.succeed(["join", "q", "--run", "a", "--agent", "writer"])
        try await cli.succeed(["join", "q", "--run", "b", "--agent", "reviewer", "--topic", "t"])
        return cli
    }
}
