#if Postgres
import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// The CLI on a PostgreSQL URL: the same verbs, and `copy` between backends.
@Suite(.enabled(if: PostgresTestServer.isEnabled, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgreSQLCLITests {
    /// A URL to a fresh schema, dropped after `body`.
    func withSchema(_ body: (String) async throws -> Void) async throws {
        let url = try PostgresTestServer.freshURL()
        do {
            try await body(url)
        } catch {
            try? await PostgresTestServer.dropSchema(url: url)
            throw error
        }
        try await PostgresTestServer.dropSchema(url: url)
    }

    @Test func copyFromSQLiteToPostgreSQLAndBackGivesByteIdenticalExports() async throws {
        try await withSchema { url in
            let sqlite = try CLIHarness()
            try await sqlite.seed()
            try await sqlite.succeed(["open", "other", "--policy", "r1"])
            let original = try await sqlite.succeed(["export", "p"]).stdout
            let originalOther = try await sqlite.succeed(["export", "other"]).stdout

            let toPostgres = try await sqlite.succeed(["copy", "--to", url])
            #expect(toPostgres.stdout.contains(#""pool_id":"p","records":6"#))
            let postgres = try CLIHarness(database: url)
            #expect(try await postgres.succeed(["export", "p"]).stdout == original)

            let back = try CLIHarness()
            try await postgres.succeed(["copy", "--to", back.db, "p", "other"])
            #expect(try await back.succeed(["export", "p"]).stdout == original)
            #expect(try await back.succeed(["export", "other"]).stdout == originalOther)
            #expect(try await back.succeed(["doctor"]).stdout.contains(#""healthy":true"#))
        }
    }

    @Test func copyRefusesAPoolThatExistsAtTheDestinationAndWritesNothing() async throws {
        try await withSchema { url in
            let sqlite = try CLIHarness()
            try await sqlite.seed()
            try await sqlite.succeed(["open", "fresh"])
            let postgres = try CLIHarness(database: url)
            try await postgres.succeed(["open", "p"])
            let before = try await postgres.succeed(["pools"]).stdout

            let refused = try await sqlite.run(["copy", "--to", url])
            expectFailure(refused, status: 1, "copy onto an existing pool")
            #expect(refused.stderr.contains("poolExists"))
            #expect(try await postgres.succeed(["pools"]).stdout == before)
        }
    }

    @Test func doctorPoolsAndTailFollowWorkOnAURL() async throws {
        try await withSchema { url in
            let cli = try CLIHarness(database: url)
            try await cli.seed()
            let doctor = try await cli.succeed(["doctor"]).object()
            #expect(doctor["healthy"] as? Bool == true)
            #expect((doctor["settings"] as? [String: Any])?["schema_version"] as? Int == 4)  // v4: the claim queue
            let pools = try await cli.succeed(["pools"]).decode([PoolSummary].self)
            #expect(pools.map(\.poolID) == ["p"])
            #expect(pools.first?.lastSeq == 6)

            let tail = try cli.start(["tail", "p", "--after", "5", "--follow"])
            #expect(await tail.line { $0.contains(#""seq":6"#) } != nil)
            try await cli.succeed(["send", "p", "--id", "m2", "--from", "b", "--to", "run:a", "--content", "c2", "--key", "k2"])
            #expect(await tail.line { $0.contains(#""message_id":"m2""#) && $0.contains(#""status":"delivered""#) } != nil)
            tail.send(signal: SIGINT)
            let result = await tail.wait()
            #expect(result.status == 0, "\(result.stderr)")
            let seqs = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(PoolRecord.self, from: Data($0.utf8)).seq }
            #expect(seqs == [6, 7, 8])
        }
    }

    @Test func aReadVerbOnAURLWithoutAStoreFailsAndCreatesNothing() async throws {
        let url = try PostgresTestServer.freshURL()
        let cli = try CLIHarness(database: url)
        let result = try await cli.run(["pools"])
        expectFailure(result, status: 1, "pools on an empty schema")
        #expect(result.stderr.contains("no database at"))
        // Nothing was created: a store opened without creating still finds no schema.
        let again = try await cli.run(["snapshot", "p"])
        expectFailure(again, status: 1, "snapshot on an empty schema")
    }

    @Test func aPasswordInTheURLNeverReachesTheOutput() async throws {
        let cli = try CLIHarness(database: "postgres://agent:hunter2@127.0.0.1:1/agentpool")
        let result = try await cli.run(["pools"])
        expectFailure(result, status: 3, "unreachable server")
        #expect(!result.stderr.contains("hunter2"))
    }
}
#endif
