import AgentPoolTestSupport
import Foundation
import Testing

/// The crash-torture harness itself, in a short run (CI also runs its `--quick` mode).
@Suite struct TortureTests {
    @Test func writersKilledAtRandomMomentsLoseNothingAndCorruptNothing() async throws {
        let torture = try ChildProcess(try ChildProcess.builtProduct(named: "agentpool-torture"), ["--rounds", "4", "--seed", "2026"])
        let result = await torture.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("torture:") })
        #expect(summary.contains("kills 12,"))
        #expect(summary.contains("lost 0, duplicated 0, gaps 0, replay mismatches 0, untriggered wakes 0, integrity failures 0, writer failures 0"))
        let verified = summary.split(separator: ",").first { $0.contains("operations verified") }.flatMap { Int($0.split(separator: " ").last ?? "") }
        // Writers live 20–420 ms; even a slow (sanitized) build acknowledges some operations.
        #expect((verified ?? 0) > 0)
    }
}
