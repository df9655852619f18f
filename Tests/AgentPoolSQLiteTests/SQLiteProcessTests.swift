import AgentPoolTestSupport
import Testing

/// Several real OS processes on one SQLite file: every multi-process scenario, each on a fresh file.
@Suite struct SQLiteProcessTests {
    @Test(arguments: ProcessScenarios.all)
    func sqlite(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .sqlite())
    }

    @Test(.serialized, arguments: ProcessScenarios.scheduling)
    func sqliteScheduling(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .sqlite())
    }
}
