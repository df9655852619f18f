import AgentPoolTestSupport
import Testing

/// Several real OS processes on one SQLite file: every multi-process scenario, each on a fresh file.
///
/// One scenario at a time: each starts up to eight processes, and all of them at once (with the
/// rest of the suite) starved the machine so that lease-timed scenarios failed.
@Suite struct SQLiteProcessTests {
    @Test(.serialized, arguments: ProcessScenarios.all)
    func sqlite(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .sqlite())
    }

    @Test(.serialized, arguments: ProcessScenarios.scheduling)
    func sqliteScheduling(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .sqlite())
    }
}
