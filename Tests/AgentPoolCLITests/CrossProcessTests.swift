import AgentPool
import AgentPoolTestSupport
import Foundation
import GRDB

import Testing

/// Verbs that wait for other processes, export/import, and doctor on a damaged file.
@Suite struct CrossProcessTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func tailFollowSeesARecordAppendedByAnotherProcessAndStopsCleanly(_ stopSignal: Int32) async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let tail = try cli.start(["tail", "p", "--after", "5", "--follow"])
        let first = await tail.line { $0.contains(#""seq":6"#) }
        #expect(first != nil)

        try await cli.succeed(["send", "p", "--id", "m2", "--from", "b", "--to", "run:a", "--content", "c2", "--key", "k2"])
        let appended = await tail.line { $0.contains(#""message_id":"m2""#) && $0.contains(#""status":"delivered""#) }
        let record = try JSONDecoder().decode(PoolRecord.self, from: Data(try #require(appended).utf8))
        #expect(record.seq == 8)

        tail.send(signal: stopSignal)
        let result = await tail.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let seqs = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)).seq }
        #expect(seqs == [6, 7, 8])
    }

    @Test func manyShortLivedInvocationsAtOnceAllSucceedAndJoinOnce() async throws {
        let cli = try CLIHarness()
        try await cli.succeed(["open", "p"])
        // 16 processes opening, writing and closing the same file at the same moment: none may
        // fail with busy while another opens, nor crash while it closes.
        let children = try (0..<16).map { index in
            try cli.start(index % 2 == 0 ? ["join", "p", "--run", "r\(index)", "--agent", "a"] : ["pools"])
        }
        for child in children {
            let result = await child.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.isEmpty)
        }
        let members = try await cli.succeed(["snapshot", "p"]).decode(Snapshot.self).members
        #expect(members.map(\.runID).sorted() == (0..<16).filter { $0 % 2 == 0 }.map { "r\($0)" }.sorted())
    }

    @Test func wakeWaitReturnsWhenAnotherProcessSendsAMatchingMessage() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let waiter = try cli.start([
            "wake", "p", "--id", "w-reply", "--run", "a", "--kind", "run_message_delivered", "--from", "b",
            "--key", "wk-reply", "--wait",
        ])
        // Wait (by watching the pool, not by sleeping) until the waiter's registration is recorded,
        // so that the message below is sent after it registered.
        let tail = try cli.start(["tail", "p", "--follow"])
        let tailStopped = Locked(false)
        let stopTail = { @Sendable in
            tailStopped.withLock { stopped in
                if !stopped { tail.send(signal: SIGINT); stopped = true }
            }
        }
        // If the waiter fails before registering, stop the tail too, so that nothing waits forever.
        let waiting = Task { () async -> (status: Int32, stdout: String, stderr: String) in
            let result = await waiter.wait()
            stopTail()
            return result
        }
        #expect(await tail.line { $0.contains(#""condition_id":"w-reply""#) } != nil)
        stopTail()
        _ = await tail.wait()

        try await cli.succeed(["send", "p", "--id", "m2", "--from", "b", "--to", "run:a", "--content", "answer", "--key", "k2"])
        let result = await waiting.value
        #expect(result.status == 0, "\(result.stderr)")
        let registration = try JSONDecoder().decode(Registration.self, from: Data(result.stdout.utf8))
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == 9)  // 7 registered, 8 accepted, 9 delivered
    }

    @Test func exportThenImportIsByteIdenticalAndAnExistingPoolIsRefused() async throws {
        let source = try CLIHarness()
        try await source.seed()
        try await source.succeed(["send", "p", "--id", "r1", "--from", "b", "--to", "run:a", "--content", "ok", "--key", "rk1", "--reply-to", "m1"])
        try await source.succeed(["leave", "p", "--run", "b"])
        let exported = try await source.succeed(["export", "p"])
        let count = exported.lines.count
        #expect(count >= 10)
        let file = source.directory.path + "/p.jsonl"
        try Data(exported.stdout.utf8).write(to: URL(fileURLWithPath: file))

        let target = try CLIHarness()
        let imported = try await target.succeed(["import", file]).object()
        #expect(imported["pool_id"] as? String == "p")
        #expect(imported["records"] as? Int == count)
        #expect(imported["last_seq"] as? Int == count)
        #expect(try await target.succeed(["export", "p"]).stdout == exported.stdout)
        #expect(try await target.succeed(["snapshot", "p"]).stdout == (try await source.succeed(["snapshot", "p"]).stdout))
        #expect(try await target.succeed(["doctor"]).object()["healthy"] as? Bool == true)

        // Importing the same pool again is refused, and writes nothing.
        let before = try target.dump()
        let again = try await target.run(["import", file])
        expectFailure(again, status: 1)
        #expect(again.stderr.contains("poolExists"))
        #expect(try target.dump() == before)
    }

    @Test func anImportFileMustHoldExactlyOneWellFormedPool() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        try await cli.succeed(["open", "other"])
        let p = try await cli.succeed(["export", "p"]).lines
        let other = try await cli.succeed(["export", "other"]).lines
        let target = try CLIHarness()
        try await target.succeed(["open", "existing"])
        let before = try target.dump()
        let files: [(String, [String], String)] = [
            ("mixed", p + other, "exactly one pool"),
            ("empty", [], "no records"),
            ("gap", [p[0], p[2]], "expected seq 2"),
            ("garbage", [p[0], "{\"seq\": \"x\"}"], "line 2"),
        ]
        for (name, lines, fragment) in files {
            let path = target.directory.path + "/\(name).jsonl"
            try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
            let result = try await target.run(["import", path])
            expectFailure(result, status: 1, name)
            #expect(result.stderr.contains(fragment), "\(name): \(result)")
            #expect(try target.dump() == before, "\(name)")
        }
    }

    @Test func doctorFailsWithAMessageWhenAProjectionDisagreesWithTheLog() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        #expect(try await cli.run(["doctor"]).status == 0)

        // Damage the projection only: the log still says b is a member.
        let queue = try DatabaseQueue(path: cli.db)
        try await queue.write { try $0.execute(sql: "DELETE FROM members WHERE run_id = 'b'") }
        try queue.close()

        let result = try await cli.run(["doctor"])
        #expect(result.status == 3, "\(result)")
        let errorLines = result.stderr.split(separator: "\n")
        #expect(errorLines.count == 1)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains("pool 'p'") && result.stderr.contains("members") && result.stderr.contains("b only in replay"), "\(result)")
        let report = try result.object()
        #expect(report["healthy"] as? Bool == false)
        let pools = try #require(report["pools"] as? [[String: Any]])
        #expect(pools.first?["replay_matches"] as? Bool == false)
    }
}
