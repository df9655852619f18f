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
}
#endif
