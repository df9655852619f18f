import AgentPool
import Testing

/// Scheduling and flow control: messages held back until an instant (`not_before`) or until
/// other messages are responded (`after`), the claim queue's priority order, release back-offs,
/// concurrency limits and any-of waits, on every backend.
enum SchedulingChecks {
    typealias F = CoordinatorFixture

    static func task(_ id: MessageID, notBefore: Millis? = nil, priority: Int = 0, after: [MessageID] = [],
                     expiresAt: Millis? = nil) -> Message {
        Message(messageID: id, from: "planner", to: .topic("tasks"), body: .object(["task": .string(id)]),
                idempotencyKey: "key-\(id)", expiresAtMillis: expiresAt, queued: true, notBeforeMillis: notBefore,
                priority: priority, after: after)
    }

    static func workers(_ harness: StoreFactory) async throws -> CoordinatorFixture {
        try await F.make(harness, members: [F.member("planner"), F.member("w1", topics: ["tasks"]), F.member("w2", topics: ["tasks"])])
    }

    /// Claims everything claimable now for `run`, completing each, and returns the ids in claim order.
    static func drain(_ pool: PoolHandle, as run: RunID = "w1") async throws -> [MessageID] {
        var order: [MessageID] = []
        while let claimed = try await pool.claimNext(run, leaseMillis: 60_000) {
            order.append(claimed.message.messageID)
            _ = try await pool.complete(claimed.message.messageID, run: run, token: claimed.token)
        }
        return order
    }

    static func aMessageNotBeforeAnInstantIsHeldBackUntilThenAndClaimedOnceAfter(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        let due = fixture.clock.nowMillis() + 5_000
        let receipt = try await pool.send(task("later", notBefore: due))
        #expect(receipt.status == .accepted && receipt.deliveredTo.isEmpty, "recorded, not delivered")
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000) == nil, "not claimable before its time")
        fixture.clock.advance(by: 4_999)
        #expect(try await pool.claimNext("w2", leaseMillis: 1_000) == nil, "1 ms early")
        #expect(try await pool.receipt("later").status == .accepted)
        fixture.clock.advance(by: 1)
        let claimed = try #require(try await pool.claimNext("w2", leaseMillis: 60_000), "due now: the claim's sweep releases it")
        #expect(claimed.message.messageID == "later" && claimed.receipt.status == .delivered)
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000) == nil, "claimed once")
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    static func aHeldBackDeliveryReachesNoInboxUntilDueAndThenTheMembersItsAddressSelectsThen(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner"), F.member("a", topics: ["news"])])
        let pool = fixture.pool
        let due = fixture.clock.nowMillis() + 1_000
        try await pool.send(Message(messageID: "m", from: "planner", to: .topic("news"), body: .string("hi"),
                                    idempotencyKey: "m", notBeforeMillis: due))
        #expect(try await pool.inbox("a").isEmpty)
        try await pool.join(F.member("b", topics: ["news"]))  // joins while it is held back
        fixture.clock.advance(by: 1_000)
        try await pool.sweep()
        let receipt = try await pool.receipt("m")
        #expect(receipt.status == .delivered && receipt.deliveredTo == ["a", "b"], "resolved when due, not when sent")
        #expect(try await pool.inbox("b").map(\.message.messageID) == ["m"])
        // Held back past its expiry: it expires without being delivered.
        let now = fixture.clock.nowMillis()
        try await pool.send(Message(messageID: "x", from: "planner", to: .topic("news"), body: .string("late"),
                                    idempotencyKey: "x", expiresAtMillis: now + 100, notBeforeMillis: now + 500))
        fixture.clock.advance(by: 100)
        try await pool.sweep()
        let expired = try await pool.receipt("x")
        #expect(expired.status == .expired && expired.reason == "expired_before_delivery")
        #expect(try await pool.inbox("a").map(\.message.messageID) == ["m"])
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    static func aClaimStreamSleepsUntilAHeldBackTaskIsDueAndThenTakesIt(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("t", notBefore: fixture.clock.nowMillis() + 60_000))
        let stream = try pool.claims("w1", leaseMillis: 60_000)
        let claimer = Task { () -> MessageID? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()?.message.messageID
        }
        // The stream's sleep ends at the task's time on the store clock, not by polling.
        try await eventually("the stream sleeps until the task is due") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 60_000)
        #expect(try await boundedValue(of: claimer, "the stream's claim") == "t")
    }

    static func higherPriorityIsClaimedFirstAndEqualPrioritiesOldestFirst(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        for (id, priority) in [("a", 0), ("b", 5), ("c", -3), ("d", 5), ("e", 0), ("f", 1_000_000), ("g", -1_000_000)] {
            try await pool.send(task(id, priority: priority))
        }
        #expect(try await drain(pool) == ["f", "b", "d", "a", "e", "c", "g"])
        // A released claim goes back to its place by priority, behind nothing of lower priority.
        try await pool.send(task("low", priority: -1))
        try await pool.send(task("high", priority: 9))
        let held = try #require(try await pool.claimNext("w1", leaseMillis: 60_000))
        #expect(held.message.messageID == "high")
        _ = try await pool.release("high", run: "w1", token: held.token)
        #expect(try await drain(pool, as: "w2") == ["high", "low"])
        #expect(await agentPoolError { try await pool.send(task("huge", priority: 1_000_001)) }?.kind == .invalidInput)
    }

    static func aTaskAfterOthersWaitsUntilAllAreRespondedAndThenBecomesClaimable(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("a"))
        try await pool.send(task("b"))
        let waiting = try await pool.send(task("c", after: ["b", "a"]))
        #expect(waiting.status == .accepted && waiting.waitingFor == ["a", "b"])
        let first = try #require(try await pool.claimNext("w1", leaseMillis: 60_000))
        #expect(first.message.messageID == "a")
        _ = try await pool.complete("a", run: "w1", token: first.token)
        #expect(try await pool.receipt("c").waitingFor == ["b"], "still waits for b")
        let second = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        #expect(second.message.messageID == "b", "c is not claimable yet")
        #expect(try await pool.claimNext("w1", leaseMillis: 60_000) == nil)
        _ = try await pool.complete("b", run: "w2", token: second.token)
        let receipt = try await pool.receipt("c")
        #expect(receipt.status == .delivered && receipt.waitingFor.isEmpty, "released by b's completion, in the same write")
        #expect(try await drain(pool) == ["c"])
        // Dependencies already responded hold nothing back.
        #expect(try await pool.send(task("d", after: ["a", "b"])).status == .delivered)
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    static func aDependencyThatFailsOrIsCancelledFailsItsDependentsDownTheChain(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("root"))
        try await pool.send(task("mid", after: ["root"]))
        try await pool.send(task("leaf", after: ["mid"]))
        try await pool.send(task("other", after: ["root"]))
        _ = try await pool.cancel("root")
        let mid = try await pool.receipt("mid")
        #expect(mid.status == .failed && mid.reason == "dependency_failed: root is cancelled")
        let leaf = try await pool.receipt("leaf")
        #expect(leaf.status == .failed && leaf.reason == "dependency_failed: mid is failed", "down the chain, in one write")
        #expect(try await pool.receipt("other").status == .failed)
        #expect(try await pool.claimNext("w1", leaseMillis: 1_000) == nil)
        // Sent after its dependency already failed: failed at once.
        let late = try await pool.send(task("late", after: ["root"]))
        #expect(late.status == .failed && late.reason == "dependency_failed: root is cancelled")
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    static func aChainOfDependenciesResolvesOneLevelPerCompletion(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("l0"))
        for level in 1...5 { try await pool.send(task("l\(level)", after: ["l\(level - 1)"])) }
        var order: [MessageID] = []
        while let claimed = try await pool.claimNext("w1", leaseMillis: 60_000) {
            order.append(claimed.message.messageID)
            #expect(try await pool.claimNext("w2", leaseMillis: 60_000) == nil, "only one level is claimable at a time")
            _ = try await pool.complete(claimed.message.messageID, run: "w1", token: claimed.token)
        }
        #expect(order == ["l0", "l1", "l2", "l3", "l4", "l5"])
    }

    static func unknownDependenciesSelfDependenciesAndScheduledRepliesAreRefusedWithNothingWritten(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("a"))
        let count = try await fixture.logCount()
        let unknown = await agentPoolError { try await pool.send(task("b", after: ["a", "ghost"])) }
        #expect(unknown?.kind == .invalidInput && unknown?.field == "message.after")
        #expect(unknown?.message.contains("ghost") == true)
        #expect(await agentPoolError { try await pool.send(task("self", after: ["self"])) }?.kind == .invalidInput)
        #expect(await agentPoolError { try await pool.send(task("b", after: ["bad\u{0}id"])) }?.kind == .invalidInput)
        #expect(await agentPoolError { try await pool.send(task("b", after: (0...Message.maxDependencies).map { "d\($0)" })) }?.kind == .invalidInput)
        #expect(await agentPoolError { try await pool.send(task("b", notBefore: -1)) }?.kind == .invalidInput)
        #expect(await agentPoolError { try await pool.send(task("b", notBefore: .max)) }?.kind == .invalidInput)
        let claimed = try #require(try await pool.claimNext("w1", leaseMillis: 60_000))
        var reply = Message(messageID: "r", from: "w1", to: .run("planner"), body: .string("done"), idempotencyKey: "r",
                            notBeforeMillis: fixture.clock.nowMillis() + 1_000)
        #expect(await agentPoolError { try await pool.reply(to: "a", with: reply, claimToken: claimed.token) }?.kind == .invalidInput)
        reply.notBeforeMillis = nil
        reply.after = ["a"]
        #expect(await agentPoolError { try await pool.reply(to: "a", with: reply, claimToken: claimed.token) }?.kind == .invalidInput)
        #expect(try await fixture.logCount() == count, "nothing written")
        #expect(try await pool.claim("a")?.status == .held)
    }

    static func aRetryOfAHeldBackMessageIsTheSameMessageAndWritesNothing(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("a"))
        let message = task("b", notBefore: fixture.clock.nowMillis() + 1_000, priority: 3, after: ["a"])
        let first = try await pool.send(message)
        let count = try await fixture.logCount()
        #expect(try await pool.send(message) == first)
        #expect(try await fixture.logCount() == count)
        var changed = message
        changed.priority = 4
        #expect(await agentPoolError { try await pool.send(changed) }?.kind == .idempotencyConflict)
    }

    static func aClaimReleasedWithABackOffIsClaimableOnlyAfterItAndAStreamSleepsUntilThen(_ harness: StoreFactory) async throws {
        let fixture = try await workers(harness)
        let pool = fixture.pool
        try await pool.send(task("t"))
        let first = try #require(try await pool.claimNext("w1", leaseMillis: 60_000))
        let count = try await fixture.logCount()
        #expect(await agentPoolError { try await pool.release("t", run: "w1", token: first.token, retryAfterMillis: -1) }?.kind == .invalidInput)
        let released = try await pool.release("t", run: "w1", token: first.token, retryAfterMillis: 5_000)
        #expect(released.status == .open && released.expiresAt == fixture.clock.nowMillis() + 5_000)
        #expect(try await fixture.logCount() == count, "a release grows no log")
        #expect(try await pool.claimNext("w2", leaseMillis: 60_000) == nil, "not before the back-off passed")
        let stream = try pool.claims("w2", leaseMillis: 60_000)
        let claimer = Task { () -> ClaimedMessage? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()
        }
        try await eventually("the stream sleeps until the back-off ends") { fixture.clock.sleeperCount > 0 }
        fixture.clock.advance(by: 5_000)
        let second = try #require(try await boundedValue(of: claimer, "the stream's claim"))
        #expect(second.message.messageID == "t" && second.token == first.token + 1 && second.claim.expiredCount == 0)
    }

    static func aConcurrencyLimitCapsLiveClaimsOnItsAddressAndAnEndedClaimFreesASlot(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, config: PoolConfig(claimLimits: ["topic:tasks": 2]), members: [
            F.member("planner"), F.member("w1", topics: ["tasks", "other"]), F.member("w2", topics: ["tasks"]),
        ])
        let pool = fixture.pool
        for index in 1...5 { try await pool.send(task("t\(index)")) }
        try await pool.send(Message(messageID: "o1", from: "planner", to: .topic("other"), contentRef: "c", idempotencyKey: "o1", queued: true))
        let a = try #require(try await pool.claimNext("w1", from: .topic("tasks"), leaseMillis: 10_000))
        let b = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        #expect(try await pool.claimNext("w2", leaseMillis: 60_000) == nil, "two held on topic:tasks")
        #expect(try await pool.claimNext("w1", leaseMillis: 60_000)?.message.messageID == "o1", "another address is not limited")
        // Completing one frees a slot; so does releasing one.
        _ = try await pool.complete(b.message.messageID, run: "w2", token: b.token)
        let c = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        #expect(try await pool.claimNext("w2", leaseMillis: 60_000) == nil)
        _ = try await pool.release(c.message.messageID, run: "w2", token: c.token)
        #expect(try await pool.claimNext("w2", leaseMillis: 60_000)?.message.messageID == c.message.messageID)
        #expect(try await pool.claimNext("w2", leaseMillis: 60_000) == nil)
        // A claim that ran out frees its slot, counted or not.
        fixture.clock.advance(by: 10_000)
        let d = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        #expect(d.message.messageID == a.message.messageID && d.token == 2, "the run-out claim is taken over")
        #expect(try await pool.claimNext("w1", leaseMillis: 60_000) == nil)
        // A claim stream waits for a slot, and takes the next task when one frees.
        let stream = try pool.claims("w1", from: .topic("tasks"), leaseMillis: 60_000)
        let claimer = Task { () -> MessageID? in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()?.message.messageID
        }
        let store = fixture.context.store
        try await eventually("the stream waits for a slot") { store.changes.waiterCount > 0 }
        _ = try await pool.complete(d.message.messageID, run: "w2", token: d.token)
        let next = try await boundedValue(of: claimer, "the stream's claim")
        #expect(next != nil && next != d.message.messageID)
        #expect(try await pool.heldClaims().filter { $0.messageID.hasPrefix("t") }.count == 2)
    }

    static func aClaimLimitOnAnotherKindOfAddressOrOutOfRangeIsRefusedAndNoPoolIsOpened(_ harness: StoreFactory) async throws {
        let context = try await harness.makeContext()
        for limits in [["run:r": 1], ["pool": 1], ["topic:t": 0], ["topic:t": 1_000_001], ["tasks": 2], ["topic:": 1]] {
            let error = await agentPoolError { _ = try await PoolHandle.open("p", config: PoolConfig(claimLimits: limits), store: context.store) }
            #expect(error?.kind == .invalidInput && error?.field == "config.claim_limits", "\(limits)")
        }
        #expect(try await context.store.pools().isEmpty)
        let pool = try await PoolHandle.open("p", config: PoolConfig(claimLimits: ["agent:builders": 3]), store: context.store)
        #expect(try await pool.snapshot().config.claimLimits == ["agent:builders": 3])
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(context.store, "p")))
    }

    static func anyOfWakeTriggersOnTheFirstAlternativeMatchedAndRecordsWhich(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b"), F.member("c")])
        let pool = fixture.pool
        let fromA = EventFilter(sourceRuns: .oneOf(["a"]), kinds: .oneOf([.message(.delivered)]))
        let joinD = EventFilter(kinds: .oneOf([.runJoined]), messageIDs: .any)
        let condition = WakeCondition(conditionID: "w", runID: "c", filter: EventFilter(), idempotencyKey: "w",
                                      anyOf: [fromA, EventFilter(sourceRuns: .oneOf(["d"]), kinds: .oneOf([.runJoined]))])
        #expect(try await pool.suspendUntil(condition).status == .registered)
        try await pool.send(F.message("m0", from: "b", to: .run("c")))
        #expect(try await pool.pollWake("w").status == .registered, "matches neither")
        try await pool.join(F.member("d"))  // its record, then the wake's: the join returns the latter's seq
        let cursor = try #require(try await fixture.log().last { $0.kind == .memberJoined }?.seq)
        let triggered = try await pool.pollWake("w")
        #expect(triggered.status == .triggered && triggered.matchingCursor == cursor && triggered.matchedFilter == 1)
        // The first alternative that matches is the one recorded; `since` finds past events alike.
        let both = WakeCondition(conditionID: "w2", runID: "c", filter: EventFilter(), idempotencyKey: "w2",
                                 anyOf: [joinD, EventFilter(kinds: .oneOf([.runJoined])), fromA])
        let past = try await pool.suspendUntil(both, since: cursor - 1)
        #expect(past.status == .triggered && past.matchedFilter == 0 && past.matchingCursor == cursor)
        let plain = try await pool.suspendUntil(F.wake("w3", run: "c", kinds: [delivered], from: ["a"]))
        let receipt = try await pool.send(F.message("m1", from: "a", to: .run("c")))
        #expect(try await pool.pollWake("w3").matchedFilter == nil && plain.status == .registered, "a plain wake records none")
        #expect(try await pool.pollWake("w3").matchingCursor == receipt.cursor)
        // Refused with nothing written: a filter beside any_of, too many alternatives.
        let count = try await fixture.logCount()
        var mixed = condition
        (mixed.conditionID, mixed.idempotencyKey, mixed.filter) = ("x", "x", fromA)
        #expect(await agentPoolError { try await pool.suspendUntil(mixed) }?.field == "condition.filter")
        var many = condition
        (many.conditionID, many.idempotencyKey, many.anyOf) = ("y", "y", Array(repeating: fromA, count: WakeCondition.maxAnyOf + 1))
        #expect(await agentPoolError { try await pool.suspendUntil(many) }?.field == "condition.any_of")
        #expect(try await fixture.logCount() == count)
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    /// The claim queue (`ClaimQueue`): a message is listed under who may claim it — queued work
    /// under its address, a delivery under each recipient's run — and under nothing while a live
    /// claim holds it or once it is no longer delivered; a claim read by key never sees the rest.
    static func theClaimQueueListsAMessageUnderWhoMayClaimItAndNothingWhileHeld(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("planner"), F.member("w1", agent: "coder", topics: ["tasks"]),
                                                          F.member("w2")])
        let pool = fixture.pool
        func queue(_ key: String) async throws -> [MessageID] {
            let now = fixture.clock.nowMillis()
            return try await fixture.context.store.read("pool") { reader in
                try reader.claimCandidates(key: key, at: now, after: .start, limit: 100).map(\.stored.message.messageID)
            }
        }
        try await pool.send(task("t1"))
        try await pool.send(Message(messageID: "d", from: "planner", to: .topic("tasks"), contentRef: "c", idempotencyKey: "d"))
        try await pool.send(Message(messageID: "b", from: "planner", to: .pool("pool"), contentRef: "c", idempotencyKey: "b"))
        #expect(try await queue("topic:tasks") == ["t1"], "queued work under its address")
        #expect(try await queue("run:w1") == ["d", "b"], "deliveries under each recipient")
        #expect(try await queue("run:w2") == ["b"])
        for key in ["run:planner", "agent:coder", "pool"] { #expect(try await queue(key).isEmpty, "\(key)") }

        let b = try #require(try await pool.claimNext("w2", leaseMillis: 60_000))
        #expect(b.message.messageID == "b")
        #expect(try await queue("run:w1") == ["d"], "held: under no key")
        #expect(try await queue("run:w2").isEmpty)
        _ = try await pool.release("b", run: "w2", token: b.token)
        #expect(try await queue("run:w1") == ["d", "b"], "released: back in its place")
        #expect(try await queue("run:w2") == ["b"])

        let t1 = try #require(try await pool.claimNext("w1", leaseMillis: 1_000))
        #expect(t1.message.messageID == "t1" && t1.token == 1, "queue order across the claimer's keys: the oldest first")
        #expect(try await queue("topic:tasks").isEmpty)
        fixture.clock.advance(by: 1_000)
        let again = try #require(try await pool.claimNext("w1", leaseMillis: 60_000), "the claim that ran out is counted and t1 is back")
        #expect(again.message.messageID == "t1" && again.token == 2 && again.claim.expiredCount == 1)
        _ = try await pool.complete("t1", run: "w1", token: again.token)
        _ = try await pool.cancel("d")
        #expect(try await queue("topic:tasks").isEmpty, "no longer delivered: under no key")
        #expect(try await queue("run:w1") == ["b"])
        #expect(try await pool.snapshot() == (try await Fixtures.replayed(fixture.context.store, "pool")))
    }

    static let scheduling: [ConformanceCheck] = [
        ConformanceCheck("Scheduling", "theClaimQueueListsAMessageUnderWhoMayClaimItAndNothingWhileHeld",
                         theClaimQueueListsAMessageUnderWhoMayClaimItAndNothingWhileHeld),
        ConformanceCheck("Scheduling", "anyOfWakeTriggersOnTheFirstAlternativeMatchedAndRecordsWhich",
                         anyOfWakeTriggersOnTheFirstAlternativeMatchedAndRecordsWhich),
        ConformanceCheck("Scheduling", "aConcurrencyLimitCapsLiveClaimsOnItsAddressAndAnEndedClaimFreesASlot",
                         aConcurrencyLimitCapsLiveClaimsOnItsAddressAndAnEndedClaimFreesASlot),
        ConformanceCheck("Scheduling", "aClaimLimitOnAnotherKindOfAddressOrOutOfRangeIsRefusedAndNoPoolIsOpened",
                         aClaimLimitOnAnotherKindOfAddressOrOutOfRangeIsRefusedAndNoPoolIsOpened),
        ConformanceCheck("Scheduling", "aClaimReleasedWithABackOffIsClaimableOnlyAfterItAndAStreamSleepsUntilThen",
                         aClaimReleasedWithABackOffIsClaimableOnlyAfterItAndAStreamSleepsUntilThen),
        ConformanceCheck("Scheduling", "aMessageNotBeforeAnInstantIsHeldBackUntilThenAndClaimedOnceAfter",
                         aMessageNotBeforeAnInstantIsHeldBackUntilThenAndClaimedOnceAfter),
        ConformanceCheck("Scheduling", "aHeldBackDeliveryReachesNoInboxUntilDueAndThenTheMembersItsAddressSelectsThen",
                         aHeldBackDeliveryReachesNoInboxUntilDueAndThenTheMembersItsAddressSelectsThen),
        ConformanceCheck("Scheduling", "aClaimStreamSleepsUntilAHeldBackTaskIsDueAndThenTakesIt",
                         aClaimStreamSleepsUntilAHeldBackTaskIsDueAndThenTakesIt),
        ConformanceCheck("Scheduling", "higherPriorityIsClaimedFirstAndEqualPrioritiesOldestFirst",
                         higherPriorityIsClaimedFirstAndEqualPrioritiesOldestFirst),
        ConformanceCheck("Scheduling", "aTaskAfterOthersWaitsUntilAllAreRespondedAndThenBecomesClaimable",
                         aTaskAfterOthersWaitsUntilAllAreRespondedAndThenBecomesClaimable),
        ConformanceCheck("Scheduling", "aDependencyThatFailsOrIsCancelledFailsItsDependentsDownTheChain",
                         aDependencyThatFailsOrIsCancelledFailsItsDependentsDownTheChain),
        ConformanceCheck("Scheduling", "aChainOfDependenciesResolvesOneLevelPerCompletion",
                         aChainOfDependenciesResolvesOneLevelPerCompletion),
        ConformanceCheck("Scheduling", "unknownDependenciesSelfDependenciesAndScheduledRepliesAreRefusedWithNothingWritten",
                         unknownDependenciesSelfDependenciesAndScheduledRepliesAreRefusedWithNothingWritten),
        ConformanceCheck("Scheduling", "aRetryOfAHeldBackMessageIsTheSameMessageAndWritesNothing",
                         aRetryOfAHeldBackMessageIsTheSameMessageAndWritesNothing),
    ]
}
