import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// `send --body/--body-file`, `--queue` and the exit code of a send that reached nobody, through
/// the real binary on a real file.
@Suite struct PayloadAndQueueTests {
    @Test func aBodyGivenInlineOrInAFileIsPrintedByInboxTailAndSnapshot() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--key", "k1",
                               "--body", #"{"task":"review","lines":[1,2],"note":"é \"q\""}"#])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let big = String(repeating: "x", count: 64 * 1024)
        try Data(#"{"big":"\#(big)"}"#.utf8).write(to: file)
        try await cli.succeed(["send", "q", "--id", "m2", "--from", "a", "--to", "run:b", "--key", "k2", "--body-file", file.path])

        let inbox = try await cli.succeed(["inbox", "q", "--run", "b"]).decode([InboxItem].self)
        #expect(inbox.map(\.message.body) == [
            .object(["task": .string("review"), "lines": .array([.integer(1), .integer(2)]), "note": .string("é \"q\"")]),
            .object(["big": .string(big)]),
        ])
        let tail = try await cli.succeed(["tail", "q"]).stdout
        #expect(tail.contains(#""body":{"lines":[1,2],"note":"é \"q\"","task":"review"}"#))
        let snapshot = try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self)
        #expect(snapshot.messages.first { $0.message.messageID == "m2" }?.message.body == .object(["big": .string(big)]))
        // The table shows the body where there is no content reference.
        let table = try await cli.succeed(["inbox", "q", "--run", "b", "--format", "table"]).stdout
        #expect(table.contains(#"{"lines":[1,2],"note":"é \"q\"","task":"review"}"#), "\(table)")
        // A reply carries a body too.
        try await cli.succeed(["send", "q", "--id", "r1", "--from", "b", "--to", "run:a", "--key", "r1", "--reply-to", "m1", "--body", #""approved""#])
        #expect(try await cli.succeed(["inbox", "q", "--run", "a"]).decode([InboxItem].self).map(\.message.body) == [.string("approved")])
    }

    @Test func aBodyThatIsNotJSONOrTooLargeIsRefusedWithNothingWritten() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let before = try cli.dump()
        let notJSON = try await cli.run(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--key", "k1", "--body", "hello"])
        expectFailure(notJSON, status: 1, "not JSON")
        #expect(notJSON.stderr.contains("--body is not a JSON value"), "\(notJSON)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("big-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(("\"" + String(repeating: "y", count: 1 << 20) + "\"").utf8).write(to: file)
        let tooLarge = try await cli.run(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--key", "k1", "--body-file", file.path])
        expectFailure(tooLarge, status: 1, "too large")
        #expect(tooLarge.stderr.contains("message.body is 1048578 bytes as JSON; at most 1048576 are allowed"), "\(tooLarge)")
        let neither = try await cli.run(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--key", "k1"])
        #expect(neither.status == 2, "\(neither)")
        #expect(try cli.dump() == before)
    }

    @Test func aSendThatReachesNobodyExitsFourUnlessAllowedAndAQueuedOneWaitsForAWorker() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let unreached = try await cli.run(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:nobody", "--content", "c", "--key", "k1"])
        #expect(unreached.status == 4, "\(unreached)")
        #expect(try unreached.decode(Receipt.self).reason == "no_recipient", "the receipt is still printed")
        #expect(unreached.stderr.hasPrefix("error: message 'm1' reached no recipient"), "\(unreached)")
        #expect(unreached.stderr.contains("topic:nobody") && unreached.stderr.contains("--queue"), "\(unreached)")
        let allowed = try await cli.succeed(["send", "q", "--id", "m2", "--from", "a", "--to", "topic:nobody", "--content", "c",
                                             "--key", "k2", "--allow-no-recipient"])
        #expect(try allowed.decode(Receipt.self).status == .failed)

        // Queued to a topic nobody serves yet: delivered to no one, and claimed by a later worker.
        let queued = try await cli.succeed(["send", "q", "--id", "t1", "--from", "a", "--to", "topic:builds", "--queue",
                                            "--body", #"{"target":"linux"}"#, "--key", "t1"]).decode(Receipt.self)
        #expect(queued.status == .delivered && queued.deliveredTo.isEmpty)
        try await cli.succeed(["join", "q", "--run", "builder-1", "--agent", "builder", "--topic", "builds"])
        #expect(try await cli.succeed(["inbox", "q", "--run", "builder-1"]).decode([InboxItem].self).isEmpty)
        let claimed = try await cli.succeed(["claim", "q", "--run", "builder-1", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(claimed.message.messageID == "t1" && claimed.message.queued)
        #expect(claimed.message.body == .object(["target": .string("linux")]))
        let queueReply = try await cli.run(["send", "q", "--id", "x", "--from", "a", "--to", "run:b", "--content", "c", "--key", "x",
                                            "--reply-to", "t1", "--queue"])
        #expect(queueReply.status == 2, "\(queueReply)")
    }

    @Test func tasksSentWithNotBeforePriorityAndAfterAreHeldBackAndClaimedInThatOrder() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["join", "q", "--run", "w", "--agent", "worker", "--topic", "jobs"])
        func send(_ id: String, _ options: [String]) async throws -> Receipt {
            try await cli.succeed(["send", "q", "--id", id, "--from", "a", "--to", "topic:jobs", "--queue", "--content", "c",
                                   "--key", id] + options).decode(Receipt.self)
        }
        #expect(try await send("low", []).status == .delivered)
        #expect(try await send("high", ["--priority", "7"]).status == .delivered)
        let later = try await send("later", ["--not-before", "\(253_402_300_799_999)"])
        #expect(later.status == .accepted, "held back until the year 9999")
        let chained = try await send("chained", ["--after", "high", "--after", "low"])
        #expect(chained.status == .accepted && chained.waitingFor == ["high", "low"])

        let first = try await cli.succeed(["claim", "q", "--run", "w", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(first.message.messageID == "high" && first.message.priority == 7)
        let table = try await cli.succeed(["--format", "table", "claims", "q"])
        let row = table.lines.dropFirst().first?.split(separator: " ").map(String.init)
        #expect(row.map { Array($0.prefix(2)) + [$0[7], $0[8], $0[9]] } == ["high", "held", "7", "-", "-"], "\(table)")
        try await cli.succeed(["complete", "q", "--run", "w", "--id", "high", "--token", "\(first.token)"])
        let snapshot = try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self)
        #expect(snapshot.messages.first { $0.message.messageID == "chained" }?.receipt.waitingFor == ["low"])

        // Refused as usage errors or as invalid input, nothing written.
        #expect(try await cli.run(["send", "q", "--id", "x", "--from", "a", "--to", "topic:jobs", "--queue", "--content", "c",
                                   "--key", "x", "--after", "ghost"]).status == 1)
        #expect(try await cli.run(["send", "q", "--id", "x", "--from", "a", "--to", "topic:jobs", "--queue", "--content", "c",
                                   "--key", "x", "--priority", "1000001"]).status == 1)
        #expect(try await cli.run(["send", "q", "--id", "x", "--from", "a", "--to", "run:w", "--content", "c", "--key", "x",
                                   "--reply-to", "low", "--not-before", "1"]).status == 2)
    }

    @Test func openWithAClaimLimitCapsLiveClaimsOnThatTopic() async throws {
        let cli = try CLIHarness()
        let before = try cli.files()
        expectFailure(try await cli.run(["open", "lim", "--claim-limit", "topic:jobs"]), status: 2, "no =N")
        expectFailure(try await cli.run(["open", "lim", "--claim-limit", "run:w=1"]), status: 1, "a run is no limited address")
        expectFailure(try await cli.run(["open", "lim", "--claim-limit", "topic:jobs=0"]), status: 1, "0 is out of range")
        #expect(try cli.files() == before, "nothing created")
        let opened = try await cli.succeed(["open", "lim", "--claim-limit", "topic:jobs=1"]).decode(Snapshot.self)
        #expect(opened.config.claimLimits == ["topic:jobs": 1])
        try await cli.succeed(["join", "lim", "--run", "w", "--agent", "worker", "--topic", "jobs"])
        for id in ["j1", "j2"] {
            try await cli.succeed(["send", "lim", "--id", id, "--from", "w", "--to", "topic:jobs", "--queue", "--content", "c", "--key", id])
        }
        let first = try await cli.succeed(["claim", "lim", "--run", "w", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(try await cli.succeed(["claim", "lim", "--run", "w", "--lease-ms", "60000"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "null")
        try await cli.succeed(["release", "lim", "--run", "w", "--id", first.message.messageID, "--token", "\(first.token)",
                               "--retry-after-ms", "600000"])
        let second = try await cli.succeed(["claim", "lim", "--run", "w", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(second.message.messageID != first.message.messageID, "the released one backs off; the slot is free")
    }
}
