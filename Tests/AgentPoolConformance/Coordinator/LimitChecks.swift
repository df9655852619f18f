import AgentPool
import Testing

/// Numeric limits: every duration is bounded (1 or 0 ms up to ten years) before anything is
/// computed or written, so that now + duration can never overflow (Int64.max as a lease used to
/// kill the process with an arithmetic overflow).
enum LimitChecks {
    typealias F = CoordinatorFixture

    static func durationsBeyondTenYearsAreRefusedWithNothingWritten(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("w", topics: ["tasks"])])
        let pool = fixture.pool
        try await pool.send(F.message("t1", from: "a", to: .topic("tasks")))
        let claimed = try #require(try await pool.claimNext("w", leaseMillis: 1_000))
        let count = try await fixture.logCount()
        let tenYears: Millis = 10 * 365 * 86_400_000
        for huge in [Millis.max, tenYears + 1] {
            let calls: [(String, () async throws -> Void)] = [
                ("join", { try await pool.join(F.member("b"), leaseMillis: huge) }),
                ("claimNext", { _ = try await pool.claimNext("w", leaseMillis: huge) }),
                ("claims", { _ = try pool.claims("w", leaseMillis: huge) }),
                ("extendClaim", { _ = try await pool.extendClaim("t1", run: "w", token: claimed.token, leaseMillis: huge) }),
                ("suspendUntil", { try await pool.suspendUntil(F.wake("c1", run: "a", timeout: huge)) }),
                ("send", { try await pool.send(F.message("m1", from: "a", to: .run("w"), timeout: huge)) }),
                ("next", { _ = try await pool.next(since: 0, timeoutMillis: huge) }),
            ]
            for (name, call) in calls {
                let error = await agentPoolError(call)
                #expect(error?.kind == .invalidInput, "\(name) \(huge): \(String(describing: error))")
                #expect(error?.message.contains("ten years") == true, "\(name)")
            }
        }
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.claim("t1") == claimed.claim)
        // Ten years itself is accepted.
        #expect(try await pool.extendClaim("t1", run: "w", token: claimed.token, leaseMillis: tenYears).expiresAt
                == fixture.clock.nowMillis() + tenYears)
    }
}

extension Conformance {
    static let limits: [ConformanceCheck] = [
        ConformanceCheck("Limits", "durationsBeyondTenYearsAreRefusedWithNothingWritten",
                         LimitChecks.durationsBeyondTenYearsAreRefusedWithNothingWritten),
    ]
}
