import AgentPool

/// One SSE frame of a record: `id: <seq>` and `data: <record JSON>`, encoded once.
struct FeedFrame: Sendable {
    /// The record's seq.
    var seq: Seq
    /// `id: …\ndata: …\n\n`.
    var text: String

    /// The frame of `record`.
    init(_ record: PoolRecord) throws {
        seq = record.seq
        text = "id: \(record.seq)\ndata: \(try RecordCodec.encodeRecord(record))\n\n"
    }
}

/// The live records of the pools the console streams: ONE store watch per pool, however many
/// clients follow it, each record encoded once and fanned out.
///
/// why: a watch per client would read the store once per client on every change, so the write
/// path would slow with the number of open pages; with one watch it does not.
actor RecordFeeds {
    /// The most recent frames of a pool kept for its clients; a client further behind reads the
    /// gap from the store.
    static let bufferedFrames = 4096

    private struct Feed {
        var task: Task<Void, Never>
        var heartbeat: Task<Void, Never>
        var buffer: FeedBuffer
        var clients = 0
    }

    private let store: any PoolStore
    private let writeInterval: Duration
    private let heartbeatInterval: Duration
    private let bufferCapacity: Int
    private var feeds: [PoolID: Feed] = [:]

    /// Feeds over `store`; a client's live frames are handed over at most once per `writeInterval`
    /// (``ConsoleOptions/streamWriteInterval``), and a client waiting `heartbeatInterval` with
    /// nothing new is handed an empty batch (``ConsoleOptions/streamHeartbeat``).
    init(store: any PoolStore, writeInterval: Duration = .zero, heartbeatInterval: Duration = .seconds(15),
         bufferCapacity: Int = RecordFeeds.bufferedFrames) {
        self.store = store
        self.bufferCapacity = bufferCapacity
        self.writeInterval = writeInterval
        self.heartbeatInterval = heartbeatInterval
    }

    /// Hands `send` the frames of `pool`'s records after `after`: the backlog read from the
    /// store, then the live ones, gapless and in seq order, at most 256 per call, each call after
    /// the previous one returned (the client's own pace); live frames are taken no sooner than
    /// the write interval after the previous call, so that what arrives meanwhile goes together.
    /// It ends when `send` throws, the task is cancelled or the pool's watch ends (the pool was
    /// dropped: `poolNotFound` when a read from the store finds it gone or another incarnation).
    /// A client that falls behind the feed's buffer catches up from the store. While it waits,
    /// silence lasts at most a heartbeat interval: then `send` gets an empty batch, and the
    /// caller shows the connection is alive (and learns if it is not).
    nonisolated func follow(_ pool: PoolID, after: Seq, _ send: ([FeedFrame]) async throws -> Void) async throws {
        let live = await subscribe(pool, after: after)
        do {
            var last = after
            // why the incarnation: a pool dropped and opened again restarts at seq 1; a client
            // reading a gap from the store must not take the new log's records for the old one's.
            let incarnation = try await store.read(pool) { try $0.requireInfo().incarnation }
            // Records after `last` up to `through` (nil: all), from the store.
            func catchUp(through: Seq?) async throws {
                while true {
                    try Task.checkCancellation()
                    let (info, page) = try await store.read(pool) { [last] reader in
                        (try reader.info(), try reader.records(after: last, limit: 256))
                    }
                    guard let info, info.incarnation == incarnation else {
                        throw AgentPoolError.make(.poolNotFound, "pool '\(pool)' was dropped while it was followed (at seq \(last))")
                    }
                    let frames = try page.filter { record in through.map { record.seq <= $0 } ?? true }.map(FeedFrame.init)
                    if let final = frames.last {
                        try await send(frames)
                        last = final.seq
                    }
                    if page.isEmpty || through.map({ last >= $0 }) == true { return }
                }
            }
            try await catchUp(through: nil)
            let clock = ContinuousClock()
            var lastSend = clock.now
            while true {
                // A frame after a quiet spell goes at once; under a steady flow, one call per interval.
                let due = lastSend.advanced(by: writeInterval)
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                guard let frames = await live.read(after: last) else { break }
                guard let first = frames.first, let final = frames.last else {
                    try await send([])
                    continue
                }
                if first.seq - 1 > last { try await catchUp(through: first.seq - 1) }
                // At most 256 frames per call, so that a client far behind is sent bounded writes.
                var fresh = frames.drop { $0.seq <= last }
                while !fresh.isEmpty {
                    try await send(Array(fresh.prefix(256)))
                    fresh = fresh.dropFirst(256)
                }
                last = max(last, final.seq)
                lastSend = clock.now
            }
            await unsubscribe(pool, live)
        } catch {
            await unsubscribe(pool, live)
            throw error
        }
    }

    /// Counts a client of `pool`'s feed, starting the feed when it is the first, from that
    /// client's cursor.
    ///
    /// why from the client's cursor, not the head read later: records appended between the
    /// client's catch-up and the feed's first read would otherwise reach it only with the next one.
    private func subscribe(_ pool: PoolID, after: Seq) -> FeedBuffer {
        if feeds[pool] == nil {
            let buffer = FeedBuffer(capacity: bufferCapacity)
            let heartbeat = Task { [heartbeatInterval] in
                while (try? await Task.sleep(for: heartbeatInterval)) != nil { buffer.wakeWaiters() }
            }
            feeds[pool] = Feed(task: Task { await self.follow(pool, from: after, into: buffer) }, heartbeat: heartbeat, buffer: buffer)
        }
        feeds[pool]?.clients += 1
        return feeds[pool]!.buffer
    }

    /// Removes a client of the feed whose buffer is `buffer`; the last one stops the pool's watch.
    /// why the buffer: a feed that ended (its pool dropped) may have been replaced by a new one.
    private func unsubscribe(_ pool: PoolID, _ buffer: FeedBuffer) {
        guard var feed = feeds[pool], feed.buffer === buffer else { return }
        feed.clients -= 1
        if feed.clients > 0 {
            feeds[pool] = feed
        } else {
            feed.task.cancel()
            feed.heartbeat.cancel()
            feed.buffer.finish()
            feeds[pool] = nil
        }
    }

    /// The pool's one watch, from the first client's cursor: each record's frame encoded once, into the buffer.
    private func follow(_ pool: PoolID, from after: Seq, into buffer: FeedBuffer) async {
        do {
            for try await record in try PoolHandle(pool, store: store).watch(after: after) {
                buffer.append(try FeedFrame(record))
            }
        } catch {}
        // The watch ended (the pool was dropped, or the feed was cancelled): clients end too.
        buffer.finish()
        if !Task.isCancelled, let feed = feeds[pool], feed.buffer === buffer {
            feed.heartbeat.cancel()
            feeds[pool] = nil
        }
    }

    /// The seqs `pool`'s feed buffer holds now (nil: no feed, or nothing buffered yet).
    func buffered(_ pool: PoolID) -> ClosedRange<Seq>? { feeds[pool]?.buffer.held }

    /// How many clients follow `pool` now.
    func clientCount(_ pool: PoolID) -> Int { feeds[pool]?.clients ?? 0 }
}
