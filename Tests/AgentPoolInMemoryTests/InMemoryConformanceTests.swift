import AgentPoolConformance
import Testing

/// The in-memory backend keeps every rule of the conformance kit that needs no reopen.
@Suite struct InMemoryConformanceTests {
    @Test(arguments: Conformance.nonPersistent)
    func inMemory(_ check: ConformanceCheck) async throws {
        try await check.run(.inMemory)
    }
}
