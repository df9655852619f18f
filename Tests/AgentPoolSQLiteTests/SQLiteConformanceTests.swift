import AgentPoolConformance
import AgentPoolTestSupport
import Testing

/// The SQLite backend keeps every rule of the conformance kit, each check on a fresh file.
@Suite struct SQLiteConformanceTests {
    @Test(arguments: Conformance.all)
    func sqlite(_ check: ConformanceCheck) async throws {
        try await check.run(.sqlite)
    }
}
