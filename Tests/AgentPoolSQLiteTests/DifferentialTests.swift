import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Testing

/// The SQLite backend behaves exactly like the in-memory one (which is the pure reducer): the same
/// random operations give the same outcomes, the same logs and the same snapshots.
@Suite struct DifferentialTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func sqliteAndInMemoryAgreeOnEveryOutcomeAndRecord(_ seed: UInt64) async throws {
        let memory = try await StoreFactory.inMemory.makeContext()
        let sqlite = try await StoreFactory.sqlite.makeContext()
        var rng = SeededGenerator(seed: seed)
        for context in [memory, sqlite] { try await context.store.openPool("p") }
        for step in 0..<400 {
            let operation = RandomOperation.random(using: &rng)
            let tick = Int64.random(in: 0...3, using: &rng)
            memory.clock.advance(by: tick)
            sqlite.clock.advance(by: tick)
            let expected = await operation.apply(to: memory.store, pool: "p")
            let actual = await operation.apply(to: sqlite.store, pool: "p")
            #expect(actual == expected, "step \(step): \(operation)")
        }
        #expect(try await sqlite.store.allRecords("p") == (try await memory.store.allRecords("p")))
        #expect(try await sqlite.store.snapshot("p") == (try await memory.store.snapshot("p")))
    }
}
