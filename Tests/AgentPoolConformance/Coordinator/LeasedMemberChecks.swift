import AgentPool
import Testing

/// `joinLeased`: a member that heartbeats by itself and leaves when told to or dropped.
enum LeasedMemberChecks {
    typealias F = CoordinatorFixture

    /// The lease `worker` holds now, if any.
    static func lease(_ fixture: CoordinatorFixture) async throws -> MemberLease? {
        try await fixture.context.store.read("pool") { try $0.lease("worker") }
    }

    static func itsHeartbeatKeepsTheMemberPastSeveralLeases(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("stable")])
        let member = try await fixture.pool.joinLeased(F.member("worker"), leaseMillis: 300)
        let joinedAt = fixture.clock.nowMillis()
        // Beat by beat on the store clock: the heartbeat sleeps a third of the lease, renews it.
        while fixture.clock.nowMillis() < joinedAt + 3 * 300 + 100 {
            try await eventually("the heartbeat sleeping on the clock") { fixture.clock.sleeperCount > 0 }
            let before = try #require(try await lease(fixture)).expiresAt
            fixture.clock.advance(by: 100)
            try await eventually("the heartbeat renewed the lease") { try await lease(fixture).map(\.expiresAt) ?? 0 > before }
        }
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().map(\.runID) == ["stable", "worker"])
        #expect(member.runID == "worker")
        #expect(member.heartbeatFailure == nil)
    }

    static func leaveStopsTheHeartbeatAndLeavesReleasingItsClaims(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("boss")])
        let member = try await fixture.pool.joinLeased(F.member("worker", topics: ["tasks"]), leaseMillis: 300)
        try await fixture.pool.send(F.message("t1", from: "boss", to: .topic("tasks")))
        let claimed = try #require(try await fixture.pool.claimNext("worker", leaseMillis: 10_000))

        try await member.leave()
        #expect(try await fixture.pool.members().map(\.runID) == ["boss"])
        #expect(try await fixture.pool.claim(claimed.message.messageID)?.status == .open)
        #expect(fixture.clock.sleeperCount == 0, "no heartbeat sleeps any more")
        #expect(member.heartbeatFailure == nil)
    }

    static func droppingItLeavesThePool(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("stable")])
        _ = try await fixture.pool.joinLeased(F.member("worker"), leaseMillis: 60_000)  // dropped at once
        try await eventually("the dropped member left") { try await fixture.pool.members().map(\.runID) == ["stable"] }
        let departure = try await fixture.log().last
        guard case .memberLeft(let left, let reason)? = departure?.payload else {
            Issue.record("the last record is not a departure: \(String(describing: departure))")
            return
        }
        #expect(left.runID == "worker" && reason == nil)  // it left; its lease did not run out
    }

    static func aHeartbeatThatFindsTheMemberRemovedStopsAndSaysWhy(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("stable")])
        let member = try await fixture.pool.joinLeased(F.member("worker"), leaseMillis: 300)
        try await fixture.pool.leave("worker")  // another process made it leave
        try await eventually("the heartbeat sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 100)
        try await eventually("the heartbeat stopped by notMember") { member.heartbeatFailure?.kind == .notMember }
        #expect(fixture.clock.sleeperCount == 0)
        #expect(try await fixture.pool.members().map(\.runID) == ["stable"], "it does not join again")
        #expect(await agentPoolError { try await member.leave() }?.kind == .notMember)
        #expect(member.heartbeatFailure?.kind == .notMember, "leave keeps the failure")
    }
}

extension Conformance {
    static let leasedMember: [ConformanceCheck] = [
        ConformanceCheck("LeasedMember", "itsHeartbeatKeepsTheMemberPastSeveralLeases", LeasedMemberChecks.itsHeartbeatKeepsTheMemberPastSeveralLeases),
        ConformanceCheck("LeasedMember", "leaveStopsTheHeartbeatAndLeavesReleasingItsClaims", LeasedMemberChecks.leaveStopsTheHeartbeatAndLeavesReleasingItsClaims),
        ConformanceCheck("LeasedMember", "droppingItLeavesThePool", LeasedMemberChecks.droppingItLeavesThePool),
        ConformanceCheck("LeasedMember", "aHeartbeatThatFindsTheMemberRemovedStopsAndSaysWhy", LeasedMemberChecks.aHeartbeatThatFindsTheMemberRemovedStopsAndSaysWhy),
    ]
}
