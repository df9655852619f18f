import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// Leases across real processes on one SQLite file (SPEC §15); the PostgreSQL suite runs the
/// same scenario on a server.
@Suite struct CrossProcessLeaseTests {
    @Test func aLeasedMemberKilledWithSIGKILLIsRemovedAndItsWakesCancelledWithNoOtherStateTouched() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        try await OperationsProcessScenarios.killedLeasedMemberIsRemoved(location: path, store: try SQLiteStore(path: path, options: quietOptions()))
    }
}
