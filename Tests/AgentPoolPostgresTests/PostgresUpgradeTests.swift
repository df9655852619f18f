#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Testing

/// Eight client processes opening, at one moment, a schema of each earlier version: one migrates
/// under the schema's advisory lock, the others wait and go on (issue 20, item 2, on PostgreSQL).
@Suite(requiresPostgres) struct PostgresUpgradeTests {
    @Test(arguments: 1..<PostgresStore.schemaVersion)
    func eightProcessesOpeningASchemaOfAnEarlierVersionAtOnceAllSucceed(version: Int) async throws {
        let url = try PostgresTestServer.freshURL()
        do {
            try await PostgresSchema.createSchema(at: try PostgresLocation(url: url), version: version)
            for result in try await SimultaneousOpeners.run(url) {
                #expect(result.status == 0 && result.stdout.contains("opened"), "v\(version): \(result.stdout) \(result.stderr)")
            }
            let versions = try await PostgresAdmin.execute(try PostgresLocation(url: url), [
                "SELECT string_agg(version::text, ',' ORDER BY version) FROM \"\(try PostgresLocation(url: url).schema)\".schema_migrations",
            ])
            #expect(versions == [(1...PostgresStore.schemaVersion).map(String.init).joined(separator: ",")], "each migration once")
        } catch {
            try? await PostgresTestServer.dropSchema(url: url)
            throw error
        }
        try await PostgresTestServer.dropSchema(url: url)
    }

    @Test func aSchemaOfVersionThreeHasItsClaimQueueFilledByTheMigration() async throws {
        let schema = try TestSchema()
        let store = try schema.open()
        try await ClaimQueueUpgrade.populate(store)
        try await store.close()
        // Back to v3 as it stood: no claim queue, the index over delivered messages.
        try await schema.sql(
            "DROP TABLE claim_queue",
            "CREATE INDEX messages_open ON messages (pool, rank, seq) WHERE status = 'delivered'",
            "DELETE FROM schema_migrations WHERE version = 4")
        let migrated = try schema.open()
        let entries = try await schema.sql(
            "SELECT string_agg(claimable_by || ' ' || message_id, ',' ORDER BY claimable_by, message_id) FROM claim_queue")
        #expect(entries == [ClaimQueueUpgrade.expectedEntries.map { $0.joined(separator: " ") }.joined(separator: ",")])
        try await ClaimQueueUpgrade.checkClaims(migrated)
        try await migrated.close()
    }
}
#endif
