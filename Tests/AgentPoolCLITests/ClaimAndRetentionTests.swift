import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// The operations verbs — claim, complete, release, dead, resend, compact, drop — run as real
/// processes on a real file.
@Suite struct ClaimAndRetentionTests {
    @Test func claimThenCompleteRoundTripsTheFencingTokenAndAnswersTheMessage() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"])

        let claimed = try await cli.succeed(["claim", "q", "--run", "b", "--from", "topic:t", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(claimed.message.messageID == "m1")
        #expect(claimed.message.contentRef == "c1")
        #expect(claimed.receipt.status == .delivered)
        #expect(claimed.claim.status == .held)
        #expect(claimed.claim.runID == "b")
        #expect(claimed.claim.token == 1)
        #expect(claimed.claim.leaseMillis == 60000)
        #expect(claimed.claim.maxAttempts == 3)
        #expect(claimed.claim.expiresAt > Int64(Date().timeIntervalSince1970 * 1000))

        let receipt = try await cli.succeed(["complete", "q", "--id", "m1", "--run", "b", "--token", "\(claimed.token)"]).decode(Receipt.self)
        #expect(receipt.status == .responded)
        #expect(receipt.reason == "completed")
        #expect(receipt.respondedBy == ["b"])
        // Repeating a completion that committed prints the same receipt.
        #expect(try await cli.succeed(["complete", "q", "--id", "m1", "--run", "b", "--token", "1"]).decode(Receipt.self) == receipt)
        #expect(try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self).messages.first?.receipt == receipt)
        #expect(try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).stdout == "null\n")
    }

    @Test func aStaleTokenIsStaleClaimAndWritesNothing() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "k1"])
        let first = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        let released = try await cli.succeed(["release", "q", "--id", "m1", "--run", "b", "--token", "\(first.token)"]).decode(MessageClaim.self)
        #expect(released.status == .open)
        #expect(released.token == first.token)
        let second = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        #expect(second.token == first.token + 1)

        let exported = try await cli.succeed(["export", "q"]).stdout
        let before = try cli.dump()
        for verb in ["complete", "release"] {
            let stale = try await cli.run([verb, "q", "--id", "m1", "--run", "b", "--token", "\(first.token)"])
            expectFailure(stale, status: 1, verb)
            #expect(stale.stderr.hasPrefix("error: staleClaim"), "\(stale)")
        }
        // A reply answering the claimed message: without a token, or with the stale one, refused.
        for token in [[], ["--token", "\(first.token)"]] {
            let reply = try await cli.run(["send", "q", "--id", "r1", "--from", "b", "--to", "run:a", "--content", "done",
                                           "--key", "r1", "--reply-to", "m1"] + token)
            expectFailure(reply, status: 1, "reply \(token)")
            #expect(reply.stderr.hasPrefix("error: staleClaim"), "\(reply)")
        }
        #expect(try await cli.succeed(["export", "q"]).stdout == exported)
        #expect(try cli.dump() == before)
        // --token is a usage error without --reply-to.
        expectFailure(try await cli.run(["send", "q", "--id", "x", "--from", "b", "--to", "run:a", "--content", "c", "--key", "x",
                                         "--token", "1"]), status: 2, "token without reply-to")
        // The live token answers it with a reply, which closes the claim.
        let answered = try await cli.succeed(["send", "q", "--id", "r1", "--from", "b", "--to", "run:a", "--content", "done",
                                              "--key", "r1", "--reply-to", "m1", "--token", "\(second.token)"]).decode(Receipt.self)
        #expect(answered.status == .delivered)
        #expect(try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self).messages.first { $0.message.messageID == "m1" }?.receipt.status == .responded)
    }

    @Test func theLiveTokenCompletesAfterAStaleOneWasRefused() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "k1"])
        let first = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        try await cli.succeed(["release", "q", "--id", "m1", "--run", "b", "--token", "\(first.token)"])
        let second = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        expectFailure(try await cli.run(["complete", "q", "--id", "m1", "--run", "b", "--token", "\(first.token)"]), status: 1, "stale")
        // The live token still works.
        #expect(try await cli.succeed(["complete", "q", "--id", "m1", "--run", "b", "--token", "\(second.token)"]).decode(Receipt.self).status == .responded)
    }

    @Test func claimWithNothingClaimablePrintsNullAndExitsZero() async throws {
        let cli = try await CLIHarness.withPlainPool()
        #expect(try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "1000"]).stdout == "null\n")
        let table = try await cli.succeed(["--format", "table", "claim", "q", "--run", "b", "--lease-ms", "1000"])
        #expect(table.stdout == "nothing to claim for run 'b' in pool 'q'\n")
        // A message to another address does not match --from.
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"])
        #expect(try await cli.succeed(["claim", "q", "--run", "b", "--from", "agent:reviewer", "--lease-ms", "1000"]).stdout == "null\n")
    }

    @Test func aClaimThatRanOutMaxAttemptsTimesIsADeadLetterThatCanBeResent() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"])
        #expect(try await cli.succeed(["dead", "q"]).decode([ClaimedMessage].self).isEmpty)
        try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "1", "--max-attempts", "1"])

        // The CLI's store runs on the system clock: sweep until the 1 ms lease has run out.
        var dead: [ClaimedMessage] = []
        for _ in 0..<200 where dead.isEmpty {
            try await cli.succeed(["sweep"])
            dead = try await cli.succeed(["dead", "q"]).decode([ClaimedMessage].self)
        }
        #expect(dead.map(\.message.messageID) == ["m1"])
        let letter = try #require(dead.first)
        #expect(letter.message.from == "a")
        #expect(letter.message.to == .topic("t"))
        #expect(letter.claim.status == .deadLetter)
        #expect(letter.claim.expiredCount == 1)
        #expect(letter.receipt.status == .failed)
        #expect(letter.receipt.reason == "max_attempts")

        let resent = try await cli.succeed(["resend", "q", "--id", "m1"]).decode(Receipt.self)
        #expect(resent.messageID == "m1-resent")
        #expect(resent.status == .delivered)
        #expect(resent.deliveredTo == ["b"])
        #expect(try await cli.succeed(["dead", "q"]).decode([ClaimedMessage].self).isEmpty)
        // Re-sending again prints the same receipt and writes nothing.
        let before = try cli.dump()
        #expect(try await cli.succeed(["resend", "q", "--id", "m1"]).decode(Receipt.self) == resent)
        #expect(try cli.dump() == before)
    }

    @Test func afterCompactionTailExportAndDoctorWorkAndTheExportIsNotImportable() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let snapshot = try await cli.succeed(["snapshot", "p"]).decode(Snapshot.self)

        let result = try await cli.succeed(["compact", "p", "--through", "4"]).decode(CompactionResult.self)
        #expect(result == CompactionResult(checkpoint: 7, compactedThrough: 4, deleted: 4))
        var compacted = snapshot
        compacted.cursor = 7
        #expect(try await cli.succeed(["snapshot", "p"]).decode(Snapshot.self) == compacted)

        let tail = try await cli.succeed(["tail", "p"])
        let records = try tail.lines.map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)) }
        #expect(records.map(\.seq) == [5, 6, 7])
        #expect(records.last?.kind == .checkpoint)
        let below = try await cli.run(["tail", "p", "--after", "2"])
        expectFailure(below, status: 1, "tail below the compaction point")
        #expect(below.stderr.hasPrefix("error: cursorCompacted"), "\(below)")
        let exported = try await cli.succeed(["export", "p"])
        #expect(exported.stdout == tail.stdout)
        #expect(try await cli.succeed(["doctor"]).object()["healthy"] as? Bool == true)

        // A compacted export is refused before anything is written, into an existing database
        // or a missing one.
        let file = cli.directory.path + "/compacted.jsonl"
        try Data(exported.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let target = try CLIHarness()
        let missing = try await target.run(["import", file])
        expectFailure(missing, status: 1, "import into a missing database")
        #expect(missing.stderr.contains("invalidInput") && missing.stderr.contains("compacted") && missing.stderr.contains("seq 5"), "\(missing)")
        #expect(try target.files().isEmpty)
        try await target.succeed(["open", "other"])
        let before = try target.dump()
        expectFailure(try await target.run(["import", file]), status: 1, "import into an existing database")
        #expect(try target.dump() == before)
        // The library refuses it the same way.
        let store = try SQLiteStore(path: target.db, options: quiet())
        let refused = await #expect(throws: AgentPoolError.self) { try await store.importPool(records) }
        try await store.close()
        #expect(refused?.kind == .invalidInput && refused?.field == "records" && refused?.message.contains("compacted") == true)
        #expect(try target.dump() == before)
    }

    @Test func compactionStopsAtTheSlowestDurableConsumerUnlessForced() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        // The CLI cannot ack; a library process creates the consumer.
        let store = try SQLiteStore(path: cli.db, options: quiet())
        try await PoolHandle("p", store: store).consumer("indexer").ack(3)
        try await store.close()

        let before = try cli.dump()
        let refused = try await cli.run(["compact", "p", "--through", "5"])
        expectFailure(refused, status: 1, "past the consumer")
        #expect(refused.stderr.hasPrefix("error: invalidInput") && refused.stderr.contains("indexer"), "\(refused)")
        #expect(try cli.dump() == before)

        #expect(try await cli.succeed(["compact", "p", "--through", "3"]).decode(CompactionResult.self).compactedThrough == 3)
        let forced = try await cli.succeed(["compact", "p", "--through", "5", "--force"]).decode(CompactionResult.self)
        #expect(forced.compactedThrough == 5)
        #expect(forced.deleted == 2)
    }

    @Test func dropRemovesThePoolAndASecondDropIsPoolNotFound() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        try await cli.succeed(["open", "other"])

        let dropped = try await cli.succeed(["drop", "p"])
        #expect(dropped.stdout == #"{"dropped":true,"pool_id":"p"}"# + "\n")
        #expect(try await cli.succeed(["pools"]).decode([PoolSummary].self).map(\.poolID) == ["other"])

        let before = try cli.dump()
        let again = try await cli.run(["drop", "p"])
        expectFailure(again, status: 1, "second drop")
        #expect(again.stderr.hasPrefix("error: poolNotFound"), "\(again)")
        #expect(try cli.dump() == before)
    }
}
