import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Claims across real processes on one SQLite file (SPEC §15); the PostgreSQL suite runs the
/// same scenarios on a server.
@Suite struct CrossProcessClaimTests {
    @Test func aWorkerKilledWhileHoldingAClaimLosesItAndItsStaleTokenIsRefusedAfterAnotherWorkerClaims() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        try await OperationsProcessScenarios.killedWorkerLosesItsClaim(location: path, store: try SQLiteStore(path: path, options: quietOptions()))
    }

    @Test func eightProcessesClaimingAtOnceNeverHoldTheSameMessage() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        try await OperationsProcessScenarios.eightProcessesNeverShareAMessage(location: path, store: try SQLiteStore(path: path, options: quietOptions()))
    }
}
