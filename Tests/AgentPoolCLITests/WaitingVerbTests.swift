import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// The verbs that block until something happens — `claim --wait`, `next` — and what `snapshot`
/// shows of claims, run as real processes on a real file.
@Suite struct WaitingVerbTests {
    /// Waits, for a bounded time, until `child` exits; its status and output.
    private func finished(_ child: ChildProcess, _ what: String) async throws -> CLIResult {
        let result = try await boundedValue(of: Task { () async throws -> CLIResult in
            let result = await child.wait()
            return CLIResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
        }, what)
        #expect(result.status == 0 && result.stderr.isEmpty, "\(what): \(result)")
        return result
    }

    @Test func claimWaitReturnsAMessageSentAfterItStarted() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let claimer = try cli.start(["claim", "q", "--run", "b", "--from", "topic:t", "--lease-ms", "60000", "--wait", "--timeout-ms", "600000"])
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "topic:t", "--content", "c1", "--key", "k1"])

        let claimed = try await finished(claimer, "claim --wait").decode(ClaimedMessage.self)
        #expect(claimed.message.messageID == "m1")
        #expect(claimed.claim.status == .held && claimed.claim.runID == "b" && claimed.claim.token == 1)
        let held = try await cli.succeed(["claims", "q", "--status", "held"]).stdout
        #expect(held.contains(#""message_id":"m1""#), "\(held)")
    }

    @Test func claimWaitPrintsNullOnceItsTimeoutPassedAndWritesNothing() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let before = try cli.dump()
        let started = ContinuousClock.now
        let timedOut = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000", "--wait", "--timeout-ms", "300"])
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(timedOut.stdout == "null\n")
        let table = try await cli.succeed(["--format", "table", "claim", "q", "--run", "b", "--lease-ms", "60000", "--wait", "--timeout-ms", "0"])
        #expect(table.stdout == "nothing to claim for run 'b' in pool 'q'\n")
        #expect(try cli.dump() == before)
        expectFailure(try await cli.run(["claim", "q", "--run", "b", "--lease-ms", "60000", "--timeout-ms", "300"]), status: 2,
                      "--timeout-ms without --wait")
    }

    @Test func snapshotListsTheClaimsHeldNow() async throws {
        let cli = try await CLIHarness.withPlainPool()
        for id in ["m1", "m2"] {
            try await cli.succeed(["send", "q", "--id", id, "--from", "a", "--to", "run:b", "--content", "c-\(id)", "--key", id])
        }
        let claimed = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)

        let snapshot = try await cli.succeed(["snapshot", "q"])
        let claims = try #require(try snapshot.object()["claims"] as? [[String: Any]], "\(snapshot)")
        #expect(claims.map { $0["message_id"] as? String } == [claimed.message.messageID])
        #expect(claims.first?["status"] as? String == "held")
        #expect(claims.first?["token"] as? Int == 1)
        #expect(try snapshot.decode(Snapshot.self).messages.count == 2, "the snapshot's own keys are unchanged")
        let rows = try await cli.succeed(["--format", "table", "snapshot", "q"]).lines.filter { $0.hasPrefix("claim") }
        #expect(rows.count == 1 && rows[0].contains("m1") && rows[0].contains("status=held run=b token=1"), "\(rows)")

        try await cli.succeed(["complete", "q", "--id", "m1", "--run", "b", "--token", "1"])
        #expect((try await cli.succeed(["snapshot", "q"]).object()["claims"] as? [Any])?.isEmpty == true, "a completed claim is not held")
    }

    @Test func nextPrintsTheFirstMatchingEventAfterTheCursor() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let sent = try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "k1"])
            .decode(Receipt.self)
        let backlog = try await cli.succeed(["next", "q", "--kind", "run_message_delivered", "--target", "b", "--since", "0"])
        let event = try backlog.decode(PoolEvent.self)
        #expect(event.kind == .message(.delivered) && event.messageID == "m1" && event.cursor == sent.cursor)

        // A match appended by another process while it waits; --since closes the window.
        let cursor = try #require(try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self).cursor)
        let waiter = try cli.start(["next", "q", "--kind", "run_message_delivered", "--from", "b", "--since", "\(cursor)",
                                    "--timeout-ms", "600000"])
        try await cli.succeed(["send", "q", "--id", "m2", "--from", "a", "--to", "run:b", "--content", "c2", "--key", "k2"])
        try await cli.succeed(["send", "q", "--id", "m3", "--from", "b", "--to", "run:a", "--content", "c3", "--key", "k3"])
        let answer = try await finished(waiter, "next").decode(PoolEvent.self)
        #expect(answer.messageID == "m3" && answer.sourceRun == "b" && answer.targets == ["a"])
    }

    @Test func nextPrintsNullAfterItsTimeoutWritesNothingAndRefusesUnknownKinds() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "k1"])
        let before = try cli.dump()
        // Without --since only later events count: the delivery of m1 does not.
        #expect(try await cli.succeed(["next", "q", "--kind", "run_message_delivered", "--timeout-ms", "200"]).stdout == "null\n")
        let table = try await cli.succeed(["--format", "table", "next", "q", "--message", "nope", "--since", "0", "--timeout-ms", "0"])
        #expect(table.stdout == "no matching event in pool 'q'\n")
        #expect(try cli.dump() == before)

        let typo = try await cli.run(["next", "q", "--kind", "run_mesage_delivered", "--timeout-ms", "0"])
        expectFailure(typo, status: 2, "typo in --kind")
        for kind in [EventKind.runJoined, .message(.delivered), .wake(.triggered)] {
            #expect(typo.stderr.contains(kind.rawValue), "\(kind): \(typo)")
        }
    }
}
