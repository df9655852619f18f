import AgentPool
import AgentPoolConformance
@testable import AgentPoolConsole
import Testing

/// The feed behind the stream: one buffer per pool, a cursor per client, the gap of a client
/// that fell behind read from the store, heartbeats when nothing happens.
@Suite struct RecordFeedTests {
    /// Ends a `follow` from inside its callback.
    struct Stop: Error {}

    @Test func aClientFurtherBehindThanTheBufferReadsTheGapFromTheStoreGaplessly() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        let head = try await pool.snapshot().cursor ?? 0
        // Four frames kept (eight between trims): 30 records push the first ones out.
        let feeds = RecordFeeds(store: fixture.store, bufferCapacity: 4)
        let (gate, open) = AsyncStream<Void>.makeStream()
        let received = Locked<[Seq]>([])
        let sends = 30
        let target = Locked<Seq?>(nil)
        let follower = Task {
            do {
                try await feeds.follow(ConsoleFixture.pool, after: head) { frames in
                    let count = received.withLock { seen in
                        seen += frames.map(\.seq)
                        return seen.count
                    }
                    // The first live batch waits until the buffer has moved past it.
                    if count == frames.count { for await _ in gate { break } }
                    // why the last seq, not the count: a client that skipped records stops too.
                    if let end = target.withLock({ $0 }), let last = frames.last?.seq, last >= end { throw Stop() }
                }
            } catch is Stop {}
        }
        try await eventually("the client follows") { await feeds.clientCount(ConsoleFixture.pool) == 1 }
        for index in 0..<sends {
            try await pool.send(Message(messageID: "gap-\(index)", from: "writer-1", to: .run("reviewer-1"),
                                        contentRef: "s3://jobs/1", idempotencyKey: "gap-\(index)"))
        }
        let end = try await pool.snapshot().cursor ?? 0
        target.withLock { $0 = end }
        try await eventually("the buffer dropped the client's next frames") {
            guard let held = await feeds.buffered(ConsoleFixture.pool) else { return false }
            return held.upperBound == end && held.lowerBound > head + 2
        }
        open.yield()
        try await follower.value
        #expect(received.withLock { $0 } == Array(head + 1...end))
        try await fixture.store.close()
    }

    @Test func aClientWithNothingNewGetsAnEmptyBatchEachHeartbeat() async throws {
        let fixture = try await ConsoleFixture()
        let head = try await PoolHandle(ConsoleFixture.pool, store: fixture.store).snapshot().cursor ?? 0
        let feeds = RecordFeeds(store: fixture.store, heartbeatInterval: .milliseconds(20))
        let batches = Locked<[[Seq]]>([])
        // why a task with a deadline: without heartbeats this follow would wait forever.
        let follower = Task {
            do {
                try await feeds.follow(ConsoleFixture.pool, after: head) { frames in
                    let count = batches.withLock { seen in
                        seen.append(frames.map(\.seq))
                        return seen.count
                    }
                    if count == 2 { throw Stop() }
                }
            } catch is Stop {}
        }
        try await eventually("two heartbeats") { batches.withLock { $0.count } == 2 }
        try await follower.value
        #expect(batches.withLock { $0 } == [[], []])
        #expect(await feeds.clientCount(ConsoleFixture.pool) == 0)
        try await fixture.store.close()
    }

    static func frame(_ seq: Seq, bytes: Int = 0) throws -> FeedFrame {
        let message = Message(messageID: "m\(seq)", from: "a", to: .run("b"), body: .string(String(repeating: "x", count: bytes)),
                              idempotencyKey: "k\(seq)")
        return try FeedFrame(PoolRecord(poolID: "p", seq: seq, recordedAt: 5,
                                        payload: .runMessage(StoredMessage(message: message, receipt: Receipt(messageID: "m\(seq)", status: .accepted)))))
    }

    @Test func cancellingOneWaiterLeavesTheOthersWaiting() async throws {
        let buffer = FeedBuffer(capacity: 8)
        let cancelled = Task { await buffer.read(after: 0) }
        let waiting = Task { await buffer.read(after: 0) }
        try await eventually("both wait") { buffer.waiting == 2 }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        #expect(buffer.waiting == 1)
        buffer.append(try Self.frame(1))
        #expect(await waiting.value?.map(\.seq) == [1])
        // A reader from an older cursor gets what is held.
        #expect(await buffer.read(after: 0)?.map(\.seq) == [1])
        buffer.finish()
        #expect(await buffer.read(after: 1) == nil)
    }

    @Test func aCursorAtInt64MaxWaitsWithoutOverflowing() async throws {
        let buffer = FeedBuffer(capacity: 8)
        buffer.append(try Self.frame(1))
        let far = Task { await buffer.read(after: .max) }
        try await eventually("the far reader waits") { buffer.waiting == 1 }
        buffer.append(try Self.frame(2))
        buffer.wakeWaiters()
        #expect(await far.value?.isEmpty == true)
    }

    @Test func theBufferKeepsItsByteBudgetAndAlwaysTheNewestFrame() throws {
        let one = try Self.frame(1, bytes: 10_000).text.utf8.count
        let buffer = FeedBuffer(capacity: 1_000, byteBudget: 3 * one)
        for seq in 1...20 { buffer.append(try Self.frame(Seq(seq), bytes: 10_000)) }
        let held = try #require(buffer.held)
        #expect(held.upperBound == 20)
        #expect(held.count <= 6)
        // One frame larger than the whole budget is still kept: it is the newest.
        let tiny = FeedBuffer(capacity: 1_000, byteBudget: 10)
        tiny.append(try Self.frame(1, bytes: 100))
        tiny.append(try Self.frame(2, bytes: 100))
        tiny.append(try Self.frame(3, bytes: 100))
        #expect(tiny.held == 3...3)
    }
}
