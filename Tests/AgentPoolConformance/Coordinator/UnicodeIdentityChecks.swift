import AgentPool
import Testing

/// One identity for ids on every backend: only NFC ids are accepted, so Swift's canonical
/// comparison and the databases' byte comparison agree (an NFC "café" and an NFD "café" were one
/// run to Swift and two to SQLite, and the projections then disagreed with the replay).
enum UnicodeIdentityChecks {
    typealias F = CoordinatorFixture

    static let composed = "caf\u{E9}"        // NFC: é is one scalar
    static let decomposed = "cafe\u{301}"    // NFD: e + combining acute

    static func idsNotInNFCAreRefusedNamingTheFieldWithNothingWritten(_ harness: StoreFactory) async throws {
        #expect(composed == decomposed, "Swift compares canonically: the reason for the rule")
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let fixture = try await F.make(harness, members: [F.member(composed, agent: composed, topics: [composed])])
        let pool = fixture.pool
        let count = try await fixture.logCount()
        let refused: [(String, () async throws -> Void)] = [
            ("member.run_id", { try await pool.join(F.member(decomposed)) }),
            ("member.agent_id", { try await pool.join(F.member("r2", agent: decomposed)) }),
            ("member.topics[0]", { try await pool.join(F.member("r3", topics: [decomposed])) }),
            ("message.message_id", { try await pool.send(F.message(decomposed, from: composed, to: .run(composed), key: "k1")) }),
            ("message.idempotency_key", { try await pool.send(F.message("m1", from: composed, to: .run(composed), key: decomposed)) }),
            ("message.to.target.agent_id", { try await pool.send(F.message("m2", from: composed, to: .agent(decomposed))) }),
            ("wake.condition_id", { try await pool.suspendUntil(F.wake(decomposed, run: composed)) }),
            ("run_id", { _ = try await pool.heartbeat(decomposed) }),
        ]
        for (field, call) in refused {
            let error = await agentPoolError(call)
            #expect(error?.kind == .invalidInput, "\(field): \(String(describing: error))")
            #expect(error?.field?.hasSuffix(field.split(separator: ".").last.map(String.init) ?? field) == true,
                    "\(field): \(String(describing: error?.field))")
            #expect(error?.message.contains("NFC") == true, "\(field)")
        }
        #expect(await agentPoolError { _ = try PoolHandle(decomposed, store: fixture.context.store) }?.kind == .invalidInput)
        #expect(try await fixture.logCount() == count)

        // The NFC forms work, and a send to the agent reaches its one run.
        let receipt = try await pool.send(F.message("m3", from: composed, to: .agent(composed)))
        #expect(receipt.deliveredTo == [composed])
        // A content reference is not an id: any form is kept byte for byte.
        var message = F.message("m4", from: composed, to: .topic(composed))
        message.contentRef = "/Users/me/\(decomposed).txt"
        try await pool.send(message)
        let stored = try #require(try await pool.snapshot().messages.first { $0.message.messageID == "m4" })
        #expect(Array(stored.message.contentRef.utf8) == Array("/Users/me/\(decomposed).txt".utf8))
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }
}

extension Conformance {
    static let unicodeIdentity: [ConformanceCheck] = [
        ConformanceCheck("UnicodeIdentity", "idsNotInNFCAreRefusedNamingTheFieldWithNothingWritten",
                         UnicodeIdentityChecks.idsNotInNFCAreRefusedNamingTheFieldWithNothingWritten),
    ]
}
