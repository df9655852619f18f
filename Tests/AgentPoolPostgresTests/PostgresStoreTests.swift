#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Logging
import Testing

/// Locations: the URL format and the password that never shows.
@Suite struct PostgreSQLLocationTests {
    @Test func aURLGivesHostPortUserPasswordDatabaseAndSchema() throws {
        let location = try PostgresLocation(url: "postgresql://agent:p%40ss:word@db.example:6543/pools?schema=team_a")
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.user == "agent")
        #expect(location.password == "p@ss:word")
        #expect(location.database == "pools")
        #expect(location.schema == "team_a")
        #expect(location.redacted == "postgres://agent:***@db.example:6543/pools?schema=team_a")
        #expect("\(location)" == location.redacted)
        var dumped = ""
        dump(location, to: &dumped)
        #expect(!dumped.contains("p@ss") && !String(reflecting: location).contains("p@ss"))
    }

    @Test func defaultsArePort5432TheUsersDatabaseAndSchemaAgentpool() throws {
        let location = try PostgresLocation(url: "postgres://me@localhost")
        #expect(location.port == 5432)
        #expect(location.database == "me")
        #expect(location.schema == "agentpool")
        #expect(location.password == nil)
    }

    @Test(arguments: ["postgres://", "mysql://u@h/db", "postgres://u:secret@h/db?schema=Bad-Name", "postgres://u:secret@h/db?colour=red"])
    func aMalformedURLIsInvalidInputWithoutThePassword(_ url: String) {
        #expect {
            try PostgresLocation(url: url)
        } throws: { error in
            guard let error = error as? AgentPoolError else { return false }
            return error.kind == .invalidInput && error.field == "url" && !error.message.contains("secret")
        }
    }
}

/// Opening, schema versions, locks and errors of the PostgreSQL backend.
@Suite(requiresPostgres) struct PostgreSQLStoreTests {
    @Test func openingLogsOneSummaryLineWithoutThePassword() async throws {
        let schema = try TestSchema()
        let box = CapturingLogHandler.Box()
        var withPassword = schema.location
        withPassword.password = "hunter2-secret"  // the test server trusts loopback: any password works
        var options = PostgresOptions()
        options.logger = Logger(label: "test") { _ in CapturingLogHandler(box: box) }
        let store = try PostgresStore(location: withPassword, options: options)
        try await store.close()
        let lines = box.lines.withLock { $0 }
        let summaries = lines.filter { $0.1 == "agentpool store opened" }
        #expect(summaries.count == 1)
        let metadata = try #require(summaries.first?.2)
        #expect(metadata["backend"] == "postgresql")
        #expect(metadata["schema_version"] == "\(PostgresStore.schemaVersion)")
        #expect(metadata["schema"] == "\(schema.location.schema)")
        #expect(metadata["synchronous_commit"] != nil)
        #expect(metadata["lock_timeout_ms"] == "5000")
        let everything = lines.map { "\($0.1) \($0.2)" }.joined(separator: "\n")
        #expect(!everything.contains("hunter2"))
        #expect(everything.contains("***"))
    }

    @Test func reopeningAnUpToDateStoreWritesNothing() async throws {
        let schema = try TestSchema()
        try await schema.open().close()
        let before = try await schema.sql("SELECT string_agg(version || ':' || applied_at, ',') FROM \(schema.location.schema).schema_migrations")
        try await schema.open().close()
        let after = try await schema.sql("SELECT string_agg(version || ':' || applied_at, ',') FROM \(schema.location.schema).schema_migrations")
        #expect(before == after)
        #expect(try await schema.sql("SELECT count(*)::text FROM \(schema.location.schema).schema_migrations") == ["\(PostgresStore.schemaVersion)"])
    }

    @Test func clientsOpeningANewSchemaAtOnceCreateItOnce() async throws {
        let schema = try TestSchema()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    // The clients wait for the first one's migration: on a saturated machine (the
                    // whole suite under ThreadSanitizer) that wait outlasted the 5 s default lock
                    // timeout once and ended in the retryable `busy`. This test is about creating
                    // the schema once, so it gives them time.
                    let store = try await Task.detached { try schema.open { $0.lockTimeout = .seconds(120) } }.value
                    try await store.openPool("p")
                    try await store.close()
                }
            }
            try await group.waitForAll()
        }
        let store = try schema.open()
        #expect(try await store.allRecords("p").map(\.seq) == [1])
        try await store.close()
    }

    @Test func aSchemaOfANewerVersionIsUnsupportedSchemaAndLeftUntouched() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p")
        try await store.close()
        let table = "\(schema.location.schema).schema_migrations"
        try await schema.sql("INSERT INTO \(table) (version, name) VALUES (99, 'from the future')")
        let before = try await schema.sql("SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM \(table)")

        let error = await agentPoolErrorOf { _ = try schema.open() }
        #expect(error?.kind == .unsupportedSchema)
        #expect(error?.retry == .repairNeeded)
        #expect(error?.message.contains("99") == true)
        #expect(try await schema.sql("SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM \(table)") == before)
    }

    @Test func writesAndReadsGoOnAfterTheServerEndedEveryConnectionOfTheStore() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p")
        try await store.join("p", Member(runID: "a", agentID: "x"))
        // As a server restart or a network cut would: end every connection of the store.
        let ended = try await schema.sql("""
            SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity
            WHERE application_name = 'agentpool store \(schema.location.schema)'
            """)
        #expect(ended != ["0"])
        try await store.join("p", Member(runID: "b", agentID: "x"))
        #expect(try await store.snapshot("p").members.map(\.runID) == ["a", "b"])
        #expect(try await store.allRecords("p").map(\.seq) == [1, 2, 3])
        try await store.close()
    }

    @Test func aWriteWhoseConnectionIsLostBeforeItsCommitRunsAgainOnANewConnectionOnce() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p")
        let location = schema.location
        let attempts = Locked(0)
        let record = try await store.write("p") { tx in
            if attempts.withLock({ $0 += 1; return $0 }) == 1 {
                // Mid-transaction, the server ends the connection (this body runs on the store's
                // own worker thread, where blocking is allowed).
                try PostgresAdmin.executeBlocking(location, [
                    "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity WHERE application_name = 'agentpool store \(location.schema)'",
                ])
            }
            return try tx.join(Member(runID: "b", agentID: "x"))
        }
        #expect(attempts.withLock { $0 } == 2)
        #expect(record?.seq == 2)
        #expect(try await store.allRecords("p").map(\.kind) == [.poolOpened, .memberJoined])
        try await store.close()
    }

    @Test func aMissingDatabaseIsAStorageErrorWithoutThePassword() async throws {
        var location = try PostgresLocation(url: try PostgresTestServer.freshURL())
        location.database = "agentpool_no_such_database"
        location.password = "topsecret"
        let error = await agentPoolErrorOf { _ = try PostgresStore(location: location) }
        #expect(error?.kind == .storage)
        #expect(error?.message.contains("3D000") == true)
        #expect(error?.message.contains("topsecret") == false)
    }

    @Test func recordPayloadsAreStoredAsTheCodecsTextByteForByte() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await store.openPool("p", config: PoolConfig(policyRefs: ["ré", "a/b"]))
        try await store.join("p", Member(runID: "r", agentID: "a", topics: ["t"]))
        let stored = try await schema.sql("SELECT payload FROM \(schema.location.schema).records ORDER BY seq")
        let expected = try await store.allRecords("p").map { try RecordCodec.encode($0.payload).payload }
        #expect(stored == expected.map(Optional.some))
        try await store.close()
    }
}
#endif
