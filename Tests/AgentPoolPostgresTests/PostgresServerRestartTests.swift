#if Postgres
import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// A PostgreSQL cluster of the test's own (`scripts/postgres-test-server start DIR`), so that the
/// test may crash and restart it without disturbing the shared test server.
struct OwnPostgresCluster {
    /// The cluster's directory, what `crash`, `restart` and `stop` are given.
    let directory: String
    /// Its URL (no password: the cluster trusts loopback).
    let url: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-test-server").path

    /// Whether this machine has the server binaries the script needs.
    static var isAvailable: Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }

    static func start() async throws -> OwnPostgresCluster {
        let directory = NSTemporaryDirectory() + "agentpool-own-pg-\(UUID().uuidString.prefix(8))"
        let result = await (try ChildProcess(URL(fileURLWithPath: script), ["start", directory])).wait()
        guard result.status == 0, let line = result.stdout.split(separator: "\n").first(where: { $0.contains("AGENTPOOL_TEST_POSTGRES_URL=") }) else {
            throw AgentPoolError.make(.storage, "postgres-test-server start failed: \(result.stderr)")
        }
        return OwnPostgresCluster(directory: directory, url: String(line.split(separator: "=", maxSplits: 1)[1]))
    }

    func stop() async {
        _ = await (try? ChildProcess(URL(fileURLWithPath: Self.script), ["stop", directory]))?.wait()
    }
}

/// The server stopped with an immediate shutdown (every backend killed, no checkpoint) and
/// started again while writer processes send and a watcher follows.
@Suite(requiresPostgres, .enabled(if: OwnPostgresCluster.isAvailable || PostgresTestServer.isRequired,
                                  "needs PostgreSQL's server binaries under /usr/lib/postgresql to run a cluster of its own"))
struct PostgresServerRestartTests {
    @Test func writersAndAWatcherResumeAfterAnImmediateShutdownAndLoseNothingAcknowledged() async throws {
        let cluster = try await OwnPostgresCluster.start()
        // Three rounds of three writers, each round crashing and restarting the server once every
        // writer acknowledged something, then SIGKILLing the writers at random moments.
        let torture = try ChildProcess(try ChildProcess.builtProduct(named: "agentpool-torture"), [
            "--postgres", cluster.url, "--restart-server", cluster.directory, "--restart-every", "1",
            "--rounds", "3", "--writers", "3", "--seed", "2026",
        ])
        let result = await torture.wait()
        await cluster.stop()
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("torture:") }, "\(result.stderr)")
        #expect(summary.contains("kills 9,"))
        #expect(summary.contains("lost 0, duplicated 0, gaps 0, replay mismatches 0, untriggered wakes 0, integrity failures 0, writer failures 0, watcher mismatches 0"))
        #expect(summary.contains("server restarts 3"))
    }
}
#endif
