import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import Testing

/// The coordinator's guarantees across real OS processes on one file (SPEC §7–§8).
@Suite struct CrossProcessCoordinatorTests {
    func openPool(_ path: String, _ pool: PoolID, members: [RunID]) async throws -> PoolHandle {
        let handle = try await PoolHandle.open(pool, store: try SQLiteStore(path: path, options: quietOptions()))
        for run in members { try await handle.join(Member(runID: run, agentID: "agent")) }
        return handle
    }

    func decode<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        try RecordCodec.decodeJSON(type, from: output.trimmingCharacters(in: .whitespacesAndNewlines), what: "child output")
    }

    @Test func aProcessWaitingOnAWakeReturnsTriggeredWhenAnotherProcessSendsAMatchingMessage() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let pool = try await openPool(path, "p", members: ["A", "B"])
        try await pool.suspendUntil(WakeCondition(
            conditionID: "w", runID: "A",
            filter: EventFilter(sourceRuns: .oneOf(["B"]), kinds: .oneOf([PoolEvent.Kind.message(.delivered)])), idempotencyKey: "wk"))

        let waiter = try ChildProcess(try ChildProcess.helperURL, ["wait", path, "p", "w"])
        #expect(await waiter.line { $0.hasPrefix("waiting") } == "waiting registered")
        let sender = try ChildProcess(try ChildProcess.helperURL, ["send", path, "p", "B", "A", "m1", "k1"])
        sender.release()
        let sent = await sender.wait()
        #expect(sent.status == 0, "\(sent.stderr)")
        let receipt = try decode(Receipt.self, sent.stdout)
        #expect(receipt.status == .delivered)

        let waited = await waiter.wait()
        #expect(waited.status == 0, "\(waited.stderr)")
        let registration = try decode(Registration.self, String(waited.stdout.split(separator: "\n").last ?? ""))
        #expect(registration.status == .triggered)
        #expect(registration.matchingCursor == receipt.cursor)
    }

    @Test func eightProcessesSendingTheSameMessageAtOnceRecordItOnceAndAllGetTheSameReceipt() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        _ = try await openPool(path, "p", members: ["A", "B"])
        let senders = try (0..<8).map { _ in try ChildProcess(try ChildProcess.helperURL, ["send", path, "p", "A", "B", "m1", "same-key"]) }
        for sender in senders { sender.release() }
        var receipts: [Receipt] = []
        for sender in senders {
            let result = await sender.wait()
            #expect(result.status == 0, "\(result.stderr)")
            receipts.append(try decode(Receipt.self, result.stdout))
        }
        #expect(Set(receipts).count == 1)
        #expect(receipts.first?.status == .delivered)
        let store = try SQLiteStore(path: path, options: quietOptions())
        let messageRecords = try await store.allRecords("p").filter { $0.kind == .runMessage }
        #expect(messageRecords.count == 2)  // accepted + delivered, once
        #expect(try await store.snapshot("p").messages.count == 1)
    }

    @Test(arguments: [-30, -5, 0, 5, 30])
    func twoProcessesRacingToTriggerAndToTimeOutAWakeLeaveExactlyOneTerminalRecord(_ offsetMillis: Int) async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let pool = try await openPool(path, "p", members: ["A", "B"])
        let registered = try await pool.suspendUntil(WakeCondition(
            conditionID: "w", runID: "A", filter: EventFilter(kinds: .oneOf([PoolEvent.Kind.message(.delivered)])),
            idempotencyKey: "wk", timeoutMillis: 400))
        let deadline = try #require(registered.deadlineMillis)
        let trigger = try ChildProcess(try ChildProcess.helperURL, ["send", path, "p", "B", "A", "m1", "k1"])
        let timeout = try ChildProcess(try ChildProcess.helperURL, ["poll", path, "p", "w"])
        // Both start around the deadline, so either may win; the release moment is the test's
        // input, not a synchronization.
        try await SystemClock().sleep(untilMillis: deadline + Millis(offsetMillis))
        trigger.release()
        timeout.release()
        let (triggerResult, timeoutResult) = (await trigger.wait(), await timeout.wait())
        #expect(triggerResult.status == 0, "\(triggerResult.stderr)")
        #expect(timeoutResult.status == 0, "\(timeoutResult.stderr)")

        let log = try await pool.records()
        let terminal = log.filter { record in
            if case .wake(let stored) = record.payload { return stored.registration.status.isFinal }
            return false
        }
        #expect(terminal.count == 1)
        let final = try await pool.pollWake("w")
        #expect(final.status == .triggered || final.status == .timedOut)
        let polled = try decode(Registration.self, timeoutResult.stdout)
        // The poller saw the final registration or, having run before the deadline, a registered one.
        #expect(polled == final || (polled.status == .registered && offsetMillis <= 0))
        print("race at deadline\(offsetMillis >= 0 ? "+" : "")\(offsetMillis) ms: \(final.status.rawValue)")
    }
}

/// Lock contention with another process (SPEC §10, §12).
@Suite struct CrossProcessLockTests {
    @Test func aWriteBlockedByAnotherProcessPastTheBusyTimeoutIsBusyThenSucceedsOnceTheLockIsReleased() async throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        var options = quietOptions()
        options.busyTimeout = .milliseconds(300)
        let pool = try await PoolHandle.open("p", store: try SQLiteStore(path: path, options: options))
        try await pool.join(Member(runID: "a", agentID: "x"))
        let before = try await pool.records()

        let holder = try ChildProcess(try ChildProcess.helperURL, ["hold", path])
        #expect(await holder.line { $0 == "locked" } != nil)
        let start = ContinuousClock.now
        let error = await agentPoolErrorOf { try await pool.join(Member(runID: "b", agentID: "x")) }
        let waited = ContinuousClock.now - start
        #expect(error?.kind == .busy)
        #expect(error?.isRetryable == true)
        #expect(waited >= .milliseconds(250))  // it waited for the lock, it did not fail at once
        #expect(try await pool.records() == before)

        holder.release()
        #expect(await holder.wait().status == 0)
        try await pool.join(Member(runID: "b", agentID: "x"))
        #expect(try await pool.members().map(\.runID) == ["a", "b"])
    }
}
