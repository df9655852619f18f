#if Postgres
import AgentPoolTestSupport
import Testing

/// Several real OS processes, each with its own connections, on one PostgreSQL schema: every
/// multi-process scenario, as on one SQLite file, each on a fresh schema.
/// One scenario at a time, as on SQLite (SQLiteProcessTests says why).
@Suite(requiresPostgres) struct PostgreSQLProcessTests {
    @Test(.serialized, arguments: ProcessScenarios.all)
    func postgres(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .postgres())
    }

    @Test(.serialized, arguments: ProcessScenarios.scheduling)
    func postgresScheduling(_ scenario: ProcessScenario) async throws {
        try await scenario.run(on: try .postgres())
    }
}
#endif
