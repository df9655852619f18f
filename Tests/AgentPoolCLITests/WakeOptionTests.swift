import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// `wake`'s kind check and its narrowing options, run as real processes on a real file.
@Suite struct WakeOptionTests {
    @Test func anUnknownWakeKindExitsTwoNamingEveryValidKindAndWritesNothing() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let before = try cli.dump()
        let result = try await cli.run(["wake", "q", "--id", "w1", "--run", "b", "--kind", "run_mesage_delivered", "--key", "w1"])
        expectFailure(result, status: 2, "typo in --kind")
        #expect(result.stderr.contains("--kind 'run_mesage_delivered'"), "\(result)")
        for kind in EventKind.wakeTriggers { #expect(result.stderr.contains(kind.rawValue), "\(kind): \(result)") }
        // A wake event can never fire a wake: refused the same way.
        let wakeEvent = try await cli.run(["wake", "q", "--id", "w1", "--run", "b", "--kind", EventKind.wake(.triggered).rawValue, "--key", "w1"])
        expectFailure(wakeEvent, status: 2, "wake event kind")
        #expect(try cli.dump() == before)
    }

    @Test func wakeTargetAndMessageNarrowWhichDeliveriesTriggerIt() async throws {
        let cli = try await CLIHarness.withPlainPool()
        try await cli.succeed(["join", "q", "--run", "c", "--agent", "other"])
        let delivered = EventKind.message(.delivered).rawValue
        try await cli.succeed(["wake", "q", "--id", "to-b", "--run", "b", "--kind", delivered, "--target", "b", "--key", "to-b"])
        try await cli.succeed(["wake", "q", "--id", "any", "--run", "b", "--kind", delivered, "--key", "any"])
        try await cli.succeed(["wake", "q", "--id", "m2", "--run", "b", "--message", "m2", "--key", "m2"])

        let toC = try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:c", "--content", "c1", "--key", "k1"]).decode(Receipt.self)
        var wakes = try await registrations(cli)
        #expect(wakes["any"]?.status == .triggered)
        #expect(wakes["any"]?.matchingCursor == toC.cursor)
        #expect(wakes["to-b"]?.status == .registered)
        #expect(wakes["m2"]?.status == .registered)

        let toB = try await cli.succeed(["send", "q", "--id", "m2", "--from", "a", "--to", "run:b", "--content", "c2", "--key", "k2"]).decode(Receipt.self)
        wakes = try await registrations(cli)
        #expect(wakes["to-b"]?.status == .triggered)
        #expect(wakes["to-b"]?.matchingCursor == toB.cursor)
        #expect(wakes["m2"]?.status == .triggered)
        #expect((wakes["m2"]?.matchingCursor ?? 0) > (toC.cursor ?? .max))
    }

    /// Every wake's registration in pool `q`, by condition id.
    @Test func anyOfRegistersAlternativeFiltersAndTheRegistrationNamesTheOneThatMatched() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let delivered = EventKind.message(.delivered).rawValue, joined = EventKind.runJoined.rawValue
        try await cli.succeed(["wake", "q", "--id", "w", "--run", "b", "--key", "w",
                               "--any-of", "kind=\(delivered),from=a,target=c", "--any-of", "kind=\(joined),from=d"])
        let before = try cli.dump()
        for bad in [["--any-of", "kind=nope"], ["--any-of", "colour=red"], ["--any-of", "from="], ["--any-of", "from=a", "--kind", delivered]] {
            expectFailure(try await cli.run(["wake", "q", "--id", "x", "--run", "b", "--key", "x"] + bad), status: 2, "\(bad)")
        }
        #expect(try cli.dump() == before)
        try await cli.succeed(["send", "q", "--id", "m1", "--from", "a", "--to", "run:b", "--content", "c", "--key", "m1"])
        #expect(try await registrations(cli)["w"]?.status == .registered, "delivered to b, not c")
        try await cli.succeed(["join", "q", "--run", "d", "--agent", "late"])
        let table = try await cli.succeed(["--format", "table", "wake", "q", "--id", "w", "--run", "b", "--key", "w",
                                           "--any-of", "kind=\(delivered),from=a,target=c", "--any-of", "kind=\(joined),from=d"])
        #expect(table.lines.first?.hasSuffix("MATCHED_FILTER") == true, "\(table)")
        let wake = try #require(try await registrations(cli)["w"])
        #expect(wake.status == .triggered && wake.matchedFilter == 1)
        #expect(table.lines.last?.split(separator: " ").last == "1", "\(table)")
    }

    private func registrations(_ cli: CLIHarness) async throws -> [ConditionID: Registration] {
        let snapshot = try await cli.succeed(["snapshot", "q"]).decode(Snapshot.self)
        return Dictionary(uniqueKeysWithValues: snapshot.wakes.map { ($0.condition.conditionID, $0.registration) })
    }
}
