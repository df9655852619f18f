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
        text = "id: \(record.seq)\ndata: \(try RecordCodec.encodeJSON(record))\n\n"
    }
}

/// The live records of the pools the console streams: ONE store watch per pool, however many
/// clients follow it, each record encoded once and fanned out.
///
/// why: a watch per client would read the store once per client on every change, so the write
/// path would slow with the number of open pages; with one watch it does not.
actor RecordFeeds {
    /// The most frames a client may fall behind before its stream ends (it reconnects with
    /// `Last-Event-ID` and catches up from the store).
    static let clientBuffer = 4096

    private struct Feed {
        var task: Task<Void, Never>
        var clients: [Int: FrameQueue] = [:]
    }

    private let store: any PoolStore
    private var feeds: [PoolID: Feed] = [:]
    private var nextClient = 0

    /// Feeds over `store`.
    init(store: any PoolStore) { self.store = store }

    /// Hands `send` the frames of `pool`'s records after `after`: the backlog read from the
    /// store, then the live ones, gapless and in seq order, each after the previous `send`
    /// returned (the client's own pace), until `send` throws, the task is cancelled, the client
    /// falls ``clientBuffer`` frames behind, or the pool's watch ends (the pool was dropped).
    nonisolated func follow(_ pool: PoolID, after: Seq, _ send: ([FeedFrame]) async throws -> Void) async throws {
        let (client, live) = await subscribe(pool)
        do {
            var last = after
            // Records after `last` up to `through` (nil: all), from the store.
            func catchUp(through: Seq?) async throws {
                while true {
                    try Task.checkCancellation()
                    let page = try await store.records(pool, after: last, limit: 256)
                    let frames = try page.filter { record in through.map { record.seq <= $0 } ?? true }.map(FeedFrame.init)
                    if let final = frames.last {
                        try await send(frames)
                        last = final.seq
                    }
                    if page.isEmpty || through.map({ last >= $0 }) == true { return }
                }
            }
            try await catchUp(through: nil)
            while let pending = await live.next() {
                let frames = pending.filter { $0.seq > last }
                guard let first = frames.first, let final = frames.last else { continue }
                if first.seq > last + 1 { try await catchUp(through: first.seq - 1) }
                let fresh = frames.filter { $0.seq > last }
                if !fresh.isEmpty { try await send(fresh) }
                last = max(last, final.seq)
            }
            await unsubscribe(pool, client)
        } catch {
            await unsubscribe(pool, client)
            throw error
        }
    }

    /// Registers a client of `pool`'s feed, starting the feed when it is the first.
    private func subscribe(_ pool: PoolID) -> (Int, FrameQueue) {
        let queue = FrameQueue(capacity: Self.clientBuffer)
        nextClient += 1
        if feeds[pool] == nil {
            feeds[pool] = Feed(task: Task { await self.follow(pool) })
        }
        feeds[pool]?.clients[nextClient] = queue
        return (nextClient, queue)
    }

    /// Removes a client; the last one stops the pool's watch.
    private func unsubscribe(_ pool: PoolID, _ client: Int) {
        feeds[pool]?.clients.removeValue(forKey: client)?.finish()
        if let feed = feeds[pool], feed.clients.isEmpty {
            feed.task.cancel()
            feeds[pool] = nil
        }
    }

    /// The pool's one watch, from its cursor now: each record to every client.
    private func follow(_ pool: PoolID) async {
        do {
            let head = try await store.read(pool) { try $0.requireInfo().cursor }
            for try await record in try PoolHandle(pool, store: store).watch(after: head) {
                publish(try FeedFrame(record), to: pool)
            }
        } catch {}
        // why: a cancelled feed was already replaced or removed by `unsubscribe`.
        if !Task.isCancelled { finishAll(pool) }
    }

    private func publish(_ frame: FeedFrame, to pool: PoolID) {
        guard let clients = feeds[pool]?.clients else { return }
        for (client, queue) in clients where !queue.append(frame) {
            // A client this far behind ends; it resumes from the store with Last-Event-ID.
            feeds[pool]?.clients.removeValue(forKey: client)
        }
    }

    private func finishAll(_ pool: PoolID) {
        feeds[pool]?.clients.values.forEach { $0.finish() }
        feeds[pool] = nil
    }

    /// How many clients follow `pool` now.
    func clientCount(_ pool: PoolID) -> Int { feeds[pool]?.clients.count ?? 0 }
}
