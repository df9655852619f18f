import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// Real processes whose clocks are wrong, made so by libfaketime (Debian's `faketime`), against
/// processes with the machine's clock (issue 20, item 3). On SQLite the machine's kernel clock is
/// the reference and a process that disagrees is refused; on PostgreSQL the server's clock
/// decides every deadline, so a client a day ahead acts like everyone else.
@Suite struct ClockSkewTests {
    static let faketime = "/usr/bin/faketime"

    /// Whether the tests can run; under CI=true a missing `faketime` is a failure, not a skip.
    static func faketimeAvailable() -> Bool {
        if FileManager.default.isExecutableFile(atPath: faketime) { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("faketime is not installed (apt-get install faketime); .ci/run installs it")
        } else {
            print("skipped: \(faketime) is not installed (apt-get install faketime)")
        }
        return false
    }

    /// `agentpool --db DB ARGS` with the clock moved by `offset` (e.g. "+1d", "-1h").
    static func runSkewed(_ cli: CLIHarness, _ offset: String, _ arguments: [String]) async throws -> CLIResult {
        var environment = ProcessInfo.processInfo.environment
        environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"  // timeouts and sleeps keep real time
        let child = try ChildProcess(URL(fileURLWithPath: faketime), [offset, cli.executable.path, "--db", cli.db] + arguments,
                                     environment: environment)
        child.release()
        let result = await child.wait()
        return CLIResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test func onSQLiteAProcessADayAheadOrAnHourBehindIsRefusedAndEvictsNobody() async throws {
        guard Self.faketimeAvailable() else { return }
        let cli = try CLIHarness()
        try await cli.succeed(["open", "p"])
        try await cli.succeed(["join", "p", "--run", "worker", "--agent", "w", "--lease-ms", "600000"])
        try await cli.succeed(["join", "p", "--run", "planner", "--agent", "pl"])
        try await cli.succeed(["send", "p", "--from", "planner", "--to", "agent:w", "--id", "task", "--key", "task",
                               "--content", "t", "--queue"])
        try await cli.succeed(["claim", "p", "--run", "worker", "--lease-ms", "600000"])
        let before = try await cli.succeed(["tail", "p"]).stdout

        // A day ahead: every lease and claim looks expired to it. It writes nothing.
        let ahead = try await Self.runSkewed(cli, "+1 day", ["join", "p", "--run", "late", "--agent", "l"])
        #expect(ahead.status == 3, "\(ahead)")
        #expect(ahead.stderr.contains("clockSkew") && ahead.stderr.contains("ahead of the machine's (kernel) clock"), "\(ahead.stderr)")
        // An hour behind: it would take the held task again at once. Refused too.
        let behind = try await Self.runSkewed(cli, "-1 hour", ["claim", "p", "--run", "planner", "--lease-ms", "1000"])
        #expect(behind.status == 3, "\(behind)")
        #expect(behind.stderr.contains("behind the machine's (kernel) clock"), "\(behind.stderr)")

        #expect(try await cli.succeed(["tail", "p"]).stdout == before, "nothing was written: nobody evicted, nothing re-claimed")
        let snapshot = try await cli.succeed(["snapshot", "p"]).stdout
        #expect(snapshot.contains(#""run_id":"worker""#))
        // Reads are not refused: an operator can look with any clock.
        let look = try await Self.runSkewed(cli, "+1 day", ["snapshot", "p"])
        #expect(look.status == 0, "\(look)")
    }

    #if Postgres
    @Test(.enabled(if: PostgresTestServer.isEnabled, Comment(rawValue: PostgresTestServer.skipReason)))
    func onPostgreSQLTheServersClockDecidesSoAClientADayAheadEvictsNobody() async throws {
        guard Self.faketimeAvailable() else { return }
        let url = try PostgresTestServer.freshURL()
        do {
            try await Self.serverClockDecides(url)
        } catch {
            try? await PostgresTestServer.dropSchema(url: url)
            throw error
        }
        try await PostgresTestServer.dropSchema(url: url)
    }

    static func serverClockDecides(_ url: String) async throws {
        let cli = try CLIHarness(database: url)
        try await cli.succeed(["open", "p"])
        try await cli.succeed(["join", "p", "--run", "worker", "--agent", "w", "--lease-ms", "600000"])

        let ahead = try await Self.runSkewed(cli, "+1 day", ["join", "p", "--run", "late", "--agent", "l"])
        #expect(ahead.status == 0, "\(ahead)")
        let records = try await cli.succeed(["tail", "p"]).lines
        #expect(!records.contains { $0.contains("member_left") }, "nobody was evicted: \(records)")
        // Its record carries the server's time, not its own: within a minute of the real clock.
        let last = try #require(records.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let recordedAt = try #require((last["recorded_at"] as? NSNumber)?.int64Value)
        let realNow = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(abs(recordedAt - realNow) < 60_000, "recorded_at \(recordedAt) vs now \(realNow)")
    }
    #endif
}
