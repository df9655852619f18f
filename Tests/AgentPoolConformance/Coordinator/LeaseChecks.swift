import AgentPool
import Testing

/// Member leases and heartbeats.
enum LeaseChecks {
    typealias F = CoordinatorFixture

    static func leasedFixture(_ harness: StoreFactory) async throws -> CoordinatorFixture {
        let fixture = try await F.make(harness, members: [F.member("stable")])
        try await fixture.pool.join(F.member("worker"), leaseMillis: 1_000)
        return fixture
    }

    static func heartbeatsExtendTheLeaseWithoutGrowingTheLog(_ harness: StoreFactory) async throws {
        let fixture = try await leasedFixture(harness)
        let count = try await fixture.logCount()
        for _ in 0..<5 {
            fixture.clock.advance(by: 900)
            let expiry = try await fixture.pool.heartbeat("worker")
            #expect(expiry == fixture.clock.nowMillis() + 1_000)
        }
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().map(\.runID) == ["stable", "worker"])
        #expect(try await fixture.logCount() == count)
        #expect(try await fixture.pool.heartbeat("stable") == nil)  // joined without a lease
    }

    static func anExpiredLeaseRemovesTheMemberAndCancelsItsWakesInTheNextWrite(_ harness: StoreFactory) async throws {
        let fixture = try await leasedFixture(harness)
        try await fixture.pool.suspendUntil(F.wake("worker-wake", run: "worker", kinds: [delivered]))
        try await fixture.pool.suspendUntil(F.wake("stable-wake", run: "stable", kinds: [delivered]))
        fixture.clock.advance(by: 1_000)
        try await fixture.pool.join(F.member("other"))  // any write sweeps

        let snapshot = try await fixture.pool.snapshot()
        #expect(snapshot.members.map(\.runID) == ["other", "stable"])
        #expect(snapshot.wakes.first { $0.condition.conditionID == "worker-wake" }?.registration.status == .cancelled)
        #expect(snapshot.wakes.first { $0.condition.conditionID == "worker-wake" }?.registration.reason == "lease_expired")
        #expect(snapshot.wakes.first { $0.condition.conditionID == "stable-wake" }?.registration.status == .registered)
        let left = try await fixture.log().compactMap { record -> String? in
            if case .memberLeft(let member, let reason) = record.payload { return "\(member.runID) \(reason ?? "-")" }
            return nil
        }
        #expect(left == ["worker lease_expired"])
        #expect(await agentPoolError { _ = try await fixture.pool.heartbeat("worker") }?.kind == .notMember)
        #expect(snapshot == (try PoolState.replay(poolID: "pool", records: try await fixture.log()).snapshot()))
    }

    static func sweepExpiresLeasesWithoutAnyOtherWrite(_ harness: StoreFactory) async throws {
        let fixture = try await leasedFixture(harness)
        fixture.clock.advance(by: 999)
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().count == 2)
        fixture.clock.advance(by: 1)
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().map(\.runID) == ["stable"])
    }

    static func aWaiterExpiresTheLeaseAtItsDeadlineAndIsWokenByTheDeparture(_ harness: StoreFactory) async throws {
        let fixture = try await leasedFixture(harness)
        try await fixture.pool.suspendUntil(F.wake("gone", run: "stable", kinds: [.runLeft], from: ["worker"]))
        async let waited = fixture.pool.wait("gone")
        try await eventually("a waiter sleeping on the clock") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 1_000)
        #expect(try await waited.status == .triggered)
        #expect(try await fixture.pool.members().map(\.runID) == ["stable"])
    }

    static func rejoiningWithoutALeaseMakesTheMemberPermanentAndLeavingDropsTheLease(_ harness: StoreFactory) async throws {
        let fixture = try await leasedFixture(harness)
        try await fixture.pool.join(F.member("worker"))
        fixture.clock.advance(by: 5_000)
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().count == 2)

        try await fixture.pool.join(F.member("temp"), leaseMillis: 100)
        try await fixture.pool.leave("temp")
        try await fixture.pool.join(F.member("temp"))
        fixture.clock.advance(by: 1_000)
        try await fixture.pool.sweep()
        #expect(try await fixture.pool.members().map(\.runID) == ["stable", "temp", "worker"])
    }

    static func aLeaseBelowOneMillisecondIsInvalidInput(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness)
        let count = try await fixture.logCount()
        #expect(await agentPoolError { try await fixture.pool.join(F.member("x"), leaseMillis: 0) }?.field == "lease_millis")
        #expect(try await fixture.logCount() == count)
    }
}

extension Conformance {
    static let lease: [ConformanceCheck] = [
        ConformanceCheck("Lease", "heartbeatsExtendTheLeaseWithoutGrowingTheLog", LeaseChecks.heartbeatsExtendTheLeaseWithoutGrowingTheLog),
        ConformanceCheck("Lease", "anExpiredLeaseRemovesTheMemberAndCancelsItsWakesInTheNextWrite", LeaseChecks.anExpiredLeaseRemovesTheMemberAndCancelsItsWakesInTheNextWrite),
        ConformanceCheck("Lease", "sweepExpiresLeasesWithoutAnyOtherWrite", LeaseChecks.sweepExpiresLeasesWithoutAnyOtherWrite),
        ConformanceCheck("Lease", "aWaiterExpiresTheLeaseAtItsDeadlineAndIsWokenByTheDeparture", LeaseChecks.aWaiterExpiresTheLeaseAtItsDeadlineAndIsWokenByTheDeparture),
        ConformanceCheck("Lease", "rejoiningWithoutALeaseMakesTheMemberPermanentAndLeavingDropsTheLease", LeaseChecks.rejoiningWithoutALeaseMakesTheMemberPermanentAndLeavingDropsTheLease),
        ConformanceCheck("Lease", "aLeaseBelowOneMillisecondIsInvalidInput", LeaseChecks.aLeaseBelowOneMillisecondIsInvalidInput),
    ]
}
