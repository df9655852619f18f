import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Testing

/// Leases and claims across real processes on one PostgreSQL store (SPEC §15): the scenarios
/// the SQLite suites run on a file.
@Suite(requiresPostgres) struct PostgreSQLOperationsProcessTests {
    @Test func aWorkerKilledWhileHoldingAClaimLosesItAndItsStaleTokenIsRefusedAfterAnotherWorkerClaims() async throws {
        let schema = try TestSchema()
        try await OperationsProcessScenarios.killedWorkerLosesItsClaim(location: schema.url, store: try schema.open())
    }

    @Test func eightProcessesClaimingAtOnceNeverHoldTheSameMessage() async throws {
        let schema = try TestSchema()
        try await OperationsProcessScenarios.eightProcessesNeverShareAMessage(location: schema.url, store: try schema.open())
    }

    @Test func aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched() async throws {
        let schema = try TestSchema()
        try await OperationsProcessScenarios.killedLeasedMemberIsRemoved(location: schema.url, store: try schema.open())
    }
}
