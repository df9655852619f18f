import AgentPool
import AgentPoolConformance
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// `agentpool import --seed FILE`: a database in the seed crate's format, written by Python's
/// sqlite3 (scripts/make-seed-database.py), imported pool by pool (issue 20, item 11).
@Suite struct SeedImportTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/make-seed-database.py").standardized.path

    /// The whole log of `pool`.
    static func log(_ store: any PoolStore, _ pool: PoolID) async throws -> [PoolRecord] {
        try await store.records(pool, after: 0, limit: 100_000)
    }

    /// Two pools' logs made through the API on an in-memory store, as seed rows.
    static func sourceLogs() async throws -> (context: StoreContext, rows: [[String]]) {
        let context = try await StoreFactory.inMemory.makeContext()
        var rng = SeededGenerator(seed: 20)
        for pool in ["alpha", "beta"] {
            try await context.store.openPool(pool)
            for _ in 0..<120 {
                context.clock.advance(by: 11)
                await RandomOperation.random(using: &rng).apply(to: context.store, pool: pool)
            }
        }
        var rows: [[String]] = []
        for pool in ["alpha", "beta"] {
            for record in try await Self.log(context.store, pool) {
                let encoded = try RecordCodec.encode(record.payload)
                rows.append([pool, "\(record.seq)", encoded.kind.rawValue, encoded.payload])
            }
        }
        return (context, rows)
    }

    /// Writes `rows` (pool, seq, kind, payload) as a seed database at `path` with Python.
    static func writeSeed(_ rows: [[String]], heads: [String: Int64]? = nil, to path: String, in directory: String) async throws {
        var lastSeq: [String: Int64] = [:]
        for row in rows { lastSeq[row[0]] = max(lastSeq[row[0]] ?? 0, Int64(row[1]) ?? 0) }
        let spec: [String: Any] = [
            "records": rows.map { [$0[0], Int64($0[1]) ?? 0, $0[2], $0[3]] as [Any] },
            "heads": heads ?? lastSeq,
        ]
        let specPath = directory + "/rows-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specPath))
        let python = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, specPath, path])
        let result = await python.wait()
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func aSeedDatabaseIsImportedWithEveryPoolsRecordsAndSnapshot() async throws {
        let cli = try CLIHarness()
        let (context, rows) = try await Self.sourceLogs()
        let source = context.store
        let seed = cli.directory.path + "/seed.sqlite"
        try await Self.writeSeed(rows, to: seed, in: cli.directory.path)
        let before = FileManager.default.contents(atPath: seed)

        let result = try await cli.succeed(["import", "--seed", seed])
        let imported = try result.decode([[String: JSONValue]].self)
        #expect(imported.map { $0["pool_id"] } == [.string("alpha"), .string("beta")])
        #expect(FileManager.default.contents(atPath: seed) == before, "the seed file is untouched")

        let store = try SQLiteStore(path: cli.db, options: SQLiteOptions())
        for pool in ["alpha", "beta"] {
            let expected = try await Self.log(source, pool)
            let got = try await Self.log(store, pool)
            #expect(got.map(\.seq) == expected.map(\.seq))
            #expect(got.map(\.payload) == expected.map(\.payload), "pool \(pool)")
            #expect(Set(got.map(\.recordedAt)).count == 1, "the seed records no time: one import time for all")
            #expect(try await store.snapshot(pool) == (try await source.snapshot(pool)))
        }
        #expect(try await store.diagnose().problems.isEmpty)
        try await store.close()
    }

    @Test func aGapAnUnknownKindOrAMalformedPayloadIsRefusedNamingThePoolAndSeqWithNothingWritten() async throws {
        let cli = try CLIHarness()
        let (_, rows) = try await Self.sourceLogs()
        let betaSeq5 = try #require(rows.firstIndex { $0[0] == "beta" && $0[1] == "5" })
        var gap = rows
        gap.remove(at: betaSeq5)
        var unknown = rows
        unknown[betaSeq5][2] = "pool_renamed"
        var malformed = rows
        malformed[betaSeq5][3] = #"{"type":"member_joined","member":{"run_id":7}}"#
        var invalid = rows
        invalid[betaSeq5] = ["beta", "5", "member_joined", #"{"type":"member_joined","member":{"run_id":"","agent_id":"a"}}"#]
        let alphaLast = Int64(rows.last { $0[0] == "alpha" }?[1] ?? "0") ?? 0
        let cases: [(String, [[String]], [String: Int64]?, String)] = [
            ("gap", gap, nil, "pool 'beta' of the seed database has a gap: seq 6 follows seq 4"),
            ("unknown kind", unknown, nil, "record 5 of pool 'beta' has unknown kind 'pool_renamed'"),
            ("malformed payload", malformed, nil, "record 5 of pool 'beta'"),
            ("invalid id", invalid, nil, "record seq 5 (member_joined) of pool 'beta': member.run_id must not be empty"),
            ("head beyond the records", rows, ["alpha": alphaLast + 3, "beta": 1], "agent_pool_event_seq says its last seq is \(alphaLast + 3)"),
        ]
        for (index, (what, rows, heads, message)) in cases.enumerated() {
            let seed = cli.directory.path + "/seed-\(index).sqlite"
            try await Self.writeSeed(rows, heads: heads, to: seed, in: cli.directory.path)
            let before = FileManager.default.contents(atPath: seed)
            let result = try await cli.run(["import", "--seed", seed])
            #expect(result.status == 1, "\(what): \(result)")
            #expect(result.stderr.contains(message), "\(what): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.db), "\(what): nothing created")
            #expect(FileManager.default.contents(atPath: seed) == before, "\(what): the seed file is untouched")
        }
        // The same file imports once; a second time every pool exists and nothing is written.
        let seed = cli.directory.path + "/good.sqlite"
        try await Self.writeSeed(rows, to: seed, in: cli.directory.path)
        _ = try await cli.succeed(["import", "--seed", seed])
        let again = try await cli.run(["import", "--seed", seed])
        #expect(again.status == 1, "\(again)")
        #expect(again.stderr.contains("pool 'alpha' already exists"), "\(again.stderr)")
    }
}
