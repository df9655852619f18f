import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import GRDB
import Logging
import Testing

/// One failing invocation: its arguments, exit code and a fragment of its error line.
struct FailingCall: CustomTestStringConvertible, Sendable {
    /// The command line after `--db PATH`.
    let arguments: [String]
    /// The expected exit code.
    let status: Int32
    /// Text the `error:` line must contain (the error kind, or the offending value).
    let fragment: String

    /// A call expected to exit with `status` and mention `fragment`.
    init(_ status: Int32, _ fragment: String, _ arguments: [String]) {
        self.arguments = arguments
        self.status = status
        self.fragment = fragment
    }

    /// How the test case is named in the test report.
    var testDescription: String { "\(status) \(fragment): \(arguments.joined(separator: " "))" }
}

/// Every error path: the exit code, one `error:` line on stderr, nothing on stdout, and the
/// database's contents unchanged.
@Suite struct ErrorTests {
    /// Every failing call, run against a seeded pool `p`.
    static let calls: [FailingCall] = [
        // Usage errors: the argument parser rejects the command line (exit 2).
        FailingCall(2, "frobnicate", ["frobnicate"]),
        FailingCall(2, "nowhere", ["send", "p", "--id", "m", "--from", "a", "--to", "nowhere", "--content", "c", "--key", "k"]),
        FailingCall(2, "--agent", ["join", "p", "--run", "x"]),
        FailingCall(2, "--limit", ["tail", "p", "--limit", "0"]),
        FailingCall(2, "--after", ["inbox", "p", "--run", "a", "--after=-1"]),
        FailingCall(2, "yaml", ["pools", "--format", "yaml"]),
        FailingCall(2, "--timeout-ms", ["wake", "p", "--id", "w", "--run", "a", "--key", "k", "--timeout-ms=-5"]),
        FailingCall(2, "<file>", ["import"]),
        FailingCall(2, "--lease-ms", ["claim", "p", "--run", "b", "--lease-ms", "0"]),
        FailingCall(2, "ten years", ["claim", "p", "--run", "b", "--lease-ms", "9223372036854775807"]),
        FailingCall(2, "ten years", ["wake", "p", "--id", "w", "--run", "a", "--key", "w", "--timeout-ms", "9223372036854775807"]),
        FailingCall(1, "ten years", ["join", "p", "--run", "x", "--agent", "a", "--lease-ms", "9223372036854775807"]),
        FailingCall(2, "--max-attempts", ["claim", "p", "--run", "b", "--lease-ms", "10", "--max-attempts", "0"]),
        FailingCall(2, "nowhere", ["claim", "p", "--run", "b", "--lease-ms", "10", "--from", "nowhere"]),
        FailingCall(2, "--token", ["complete", "p", "--id", "m1", "--run", "b"]),
        FailingCall(2, "--through", ["compact", "p", "--through", "0"]),
        FailingCall(2, "run_mesage_delivered", ["wake", "p", "--id", "w", "--run", "a", "--key", "k", "--kind", "run_mesage_delivered"]),
        FailingCall(2, "--status", ["claims", "p", "--status", "completed"]),
        // Input, not-found and conflict errors (exit 1).
        FailingCall(1, "poolNotFound", ["join", "nope", "--run", "x", "--agent", "y"]),
        FailingCall(1, "notMember", ["leave", "p", "--run", "ghost"]),
        FailingCall(1, "notMember", ["send", "p", "--id", "m8", "--from", "ghost", "--to", "pool", "--content", "c", "--key", "k8"]),
        FailingCall(1, "configConflict", ["open", "p", "--policy", "other"]),
        FailingCall(1, "idempotencyConflict", ["send", "p", "--id", "m-other", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "k1"]),
        FailingCall(1, "notFound", ["send", "p", "--id", "r", "--from", "b", "--to", "run:a", "--content", "c", "--key", "rk", "--reply-to", "missing"]),
        FailingCall(1, "invalidStateTransition", ["send", "p", "--id", "r", "--from", "b", "--to", "run:a", "--content", "c", "--key", "rk", "--reply-to", "m9"]),
        FailingCall(1, "notMember", ["wake", "p", "--id", "w1", "--run", "ghost", "--key", "wk1"]),
        FailingCall(1, "idempotencyConflict", ["wake", "p", "--id", "w1", "--run", "b", "--key", "wk0"]),
        FailingCall(1, "invalidInput", ["join", "p", "--run", "", "--agent", "x"]),
        FailingCall(1, "invalidInput", ["open", "p", "--policy", "bad\u{7}ref"]),
        FailingCall(1, "poolNotFound", ["snapshot", "nope"]),
        FailingCall(1, "poolNotFound", ["tail", "nope"]),
        FailingCall(1, "poolNotFound", ["tail", "nope", "--follow"]),
        FailingCall(1, "poolNotFound", ["export", "nope"]),
        FailingCall(1, "poolNotFound", ["inbox", "nope", "--run", "a"]),
        FailingCall(1, "poolNotFound", ["consumers", "nope"]),
        FailingCall(1, "cannot read", ["import", "/nonexistent/agentpool-export.jsonl"]),
        FailingCall(1, "notMember", ["claim", "p", "--run", "ghost", "--lease-ms", "10"]),
        // The library reports notMember here, not poolNotFound (see claimNext); either way exit 1.
        FailingCall(1, "pool 'nope'", ["claim", "nope", "--run", "b", "--lease-ms", "10"]),
        FailingCall(1, "notFound", ["complete", "p", "--id", "m1", "--run", "b", "--token", "1"]),
        FailingCall(1, "notFound", ["release", "p", "--id", "m1", "--run", "b", "--token", "1"]),
        FailingCall(1, "notFound", ["resend", "p", "--id", "missing"]),
        FailingCall(1, "poolNotFound", ["dead", "nope"]),
        FailingCall(1, "invalidInput", ["compact", "p", "--through", "99"]),
        FailingCall(1, "poolNotFound", ["compact", "nope", "--through", "1"]),
        FailingCall(1, "poolNotFound", ["drop", "nope"]),
        FailingCall(1, "poolNotFound", ["members", "nope"]),
        FailingCall(1, "poolNotFound", ["claims", "nope"]),
        FailingCall(1, "invalidInput", ["claims", "p", "--run", ""]),
        FailingCall(1, "notMember", ["claim", "p", "--run", "ghost", "--lease-ms", "10", "--wait", "--timeout-ms", "0"]),
        FailingCall(1, "poolNotFound", ["next", "nope", "--timeout-ms", "0"]),
        FailingCall(1, "poolNotFound", ["next", "nope", "--since", "0", "--timeout-ms", "0"]),
    ]

    @Test(arguments: calls)
    func failsWithItsExitCodeOneErrorLineAndWritesNothing(_ call: FailingCall) async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        // m9 is delivered to b, then cancelled: a reply to it is an invalid state transition.
        try await cli.succeed(["send", "p", "--id", "m9", "--from", "a", "--to", "run:b", "--content", "c9", "--key", "k9"])
        let store = try SQLiteStore(path: cli.db, options: quiet())
        _ = try await PoolHandle("p", store: store).cancel("m9")
        try await store.close()

        let before = try cli.dump()
        let result = try await cli.run(call.arguments)
        expectFailure(result, status: call.status, call.testDescription)
        #expect(result.stderr.contains(call.fragment), "\(result)")
        #expect(try cli.dump() == before)
    }

    /// Verbs that must not create a missing database.
    static let readVerbs: [[String]] = [
        ["pools"], ["snapshot", "p"], ["tail", "p"], ["tail", "p", "--follow"], ["inbox", "p", "--run", "a"],
        ["consumers", "p"], ["doctor"], ["export", "p"],
        // Writes to an existing pool cannot succeed without a database either: nothing is created.
        ["join", "p", "--run", "a", "--agent", "w"], ["leave", "p", "--run", "a"],
        ["send", "p", "--id", "m", "--from", "a", "--to", "pool", "--content", "c", "--key", "k"],
        ["wake", "p", "--id", "w", "--run", "a", "--key", "k"],
        ["claim", "p", "--run", "a", "--lease-ms", "10"], ["complete", "p", "--id", "m", "--run", "a", "--token", "1"],
        ["release", "p", "--id", "m", "--run", "a", "--token", "1"], ["dead", "p"], ["resend", "p", "--id", "m"],
        ["compact", "p", "--through", "1"], ["drop", "p"], ["members", "p"], ["claims", "p"],
        ["claim", "p", "--run", "a", "--lease-ms", "10", "--wait"], ["next", "p"],
    ]

    @Test(arguments: readVerbs)
    func aVerbOnAMissingDatabaseCreatesNothing(_ arguments: [String]) async throws {
        let cli = try CLIHarness()
        let result = try await cli.run(arguments)
        expectFailure(result, status: 1, arguments.joined(separator: " "))
        #expect(result.stderr == "error: no database at \(cli.db)\n")
        #expect(try cli.files().isEmpty)
    }

    @Test func anImportFileThatIsNotImportableCreatesNoDatabase() async throws {
        let cli = try CLIHarness()
        let file = cli.directory.path + "/bad.jsonl"
        try Data("not json\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try await cli.run(["import", file])
        expectFailure(result, status: 1)
        #expect(result.stderr.contains("line 1"))
        #expect(try cli.files() == ["bad.jsonl"])
    }

    /// Files at the database path that are not usable agent-pool databases.
    enum Unusable: String, CaseIterable, Sendable {
        case garbage, empty, otherApplication
    }

    @Test(arguments: Unusable.allCases, [["pools"], ["doctor"], ["open", "p"], ["export", "p"]])
    func anUnusableFileIsAStorageErrorAndStaysUntouched(_ kind: Unusable, _ arguments: [String]) async throws {
        let cli = try CLIHarness()
        switch kind {
        case .garbage: try Data("this is not a database, just some text\n".utf8).write(to: URL(fileURLWithPath: cli.db))
        case .empty: try Data().write(to: URL(fileURLWithPath: cli.db))
        case .otherApplication:
            let queue = try DatabaseQueue(path: cli.db)
            try await queue.write { try $0.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES (1, 'hi')") }
            try queue.close()
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cli.db))
        let files = try cli.files()
        let result = try await cli.run(arguments)
        expectFailure(result, status: 3, "\(kind) \(arguments)")
        #expect(result.stderr.contains(kind == .otherApplication ? "unsupportedSchema" : "storage"), "\(result)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cli.db)) == bytes)
        #expect(try cli.files() == files)
    }

    @Test func theCLIPrintsAnErrorsDescriptionWhichIsItsLocalizedDescription() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let result = try await cli.run(["leave", "q", "--run", "ghost"])
        expectFailure(result, status: 1, "leave ghost")
        let error = AgentPoolError.notMember("ghost", pool: "q")
        #expect(result.stderr == "error: \(error.description)\n")
        #expect(result.stderr == "error: \(error.localizedDescription)\n")
    }

    @Test func aReplyWithoutATokenToAClaimedMessageSaysToPassTheClaimToken() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["send", "q", "--id", "job", "--from", "a", "--to", "run:b", "--content", "c1", "--key", "job"])
        let claimed = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        let before = try cli.dump()
        let reply = try await cli.run(["send", "q", "--id", "r1", "--from", "b", "--to", "run:a", "--content", "done",
                                       "--key", "r1", "--reply-to", "job"])
        expectFailure(reply, status: 1, "reply without a token")
        #expect(reply.stderr == "error: staleClaim: message 'job' is claimed (token \(claimed.token), held by run 'b'): pass its claim token to reply\n")
        #expect(try cli.dump() == before)
    }

    @Test func aWriteBlockedPastTheBusyTimeoutExitsThreeAndWritesNothing() async throws {
        let cli = try CLIHarness()
        try await cli.seed()
        let before = try cli.dump()
        let lock = try WriteLock(path: cli.db)
        await lock.acquired()
        let result = try await cli.run(["join", "p", "--run", "c", "--agent", "late"])
        await lock.release()
        expectFailure(result, status: 3)
        #expect(result.stderr.contains("busy"), "\(result)")
        #expect(try cli.dump() == before)
    }
}

/// Options that keep the store's open summary out of the test output.
func quiet() -> SQLiteOptions {
    var options = SQLiteOptions()
    options.logger.logLevel = .warning
    return options
}

/// Holds SQLite's write lock on a database (an open `BEGIN IMMEDIATE`) on its own thread until
/// released, so that another process's write waits out its busy timeout.
final class WriteLock: Sendable {
    private let queue: DatabaseQueue
    private let events = AsyncStream<Void>.makeStream()
    private let releaseSignal = AsyncStream<Void>.makeStream()
    private let done = AsyncStream<Void>.makeStream()

    /// Opens `path` and starts taking the lock on a thread of its own.
    init(path: String) throws {
        queue = try DatabaseQueue(path: path)
        let (queue, events, releaseSignal, done) = (queue, events, releaseSignal, done)
        Thread {
            let semaphore = DispatchSemaphore(value: 0)
            Task {
                for await _ in releaseSignal.stream { break }
                semaphore.signal()
            }
            try? queue.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                events.continuation.yield()
                semaphore.wait()
                try db.execute(sql: "ROLLBACK")
            }
            try? queue.close()
            done.continuation.yield()
        }.start()
    }

    /// Returns once the lock is held.
    func acquired() async {
        for await _ in events.stream { return }
    }

    /// Releases the lock and returns once the connection is closed.
    func release() async {
        releaseSignal.continuation.yield()
        for await _ in done.stream { return }
    }
}
