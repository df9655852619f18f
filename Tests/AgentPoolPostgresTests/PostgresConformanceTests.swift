#if Postgres
import AgentPoolConformance
import AgentPoolTestSupport
import Testing

/// The PostgreSQL backend keeps every rule of the conformance kit, each check on a fresh schema.
@Suite(requiresPostgres) struct PostgreSQLConformanceTests {
    @Test(arguments: Conformance.all)
    func postgres(_ check: ConformanceCheck) async throws {
        try await check.run(.postgres)
    }
}
#endif
