import AgentPool
import Hummingbird

/// The JSON API: reads of a pool's state and log, the live stream, and the operators' actions.
extension Console {
    /// The largest page of records or messages one request returns.
    static let maximumPage: Int64 = 1000

    func addAPI(to router: Router<BasicRequestContext>) {
        let store = self.store
        router.get("/api/pools") { _, _ in try Responses.json(try await store.pools()) }
        router.get("/api/pools/:pool") { _, context in
            try Responses.json(try await PoolHandle(Self.pool(context), store: store).snapshot())
        }
        router.get("/api/pools/:pool/members") { _, context in
            try Responses.json(try await Self.members(Self.pool(context), store: store))
        }
        router.get("/api/pools/:pool/claims") { _, context in
            try Responses.json(try await Self.heldClaims(Self.pool(context), store: store))
        }
        router.get("/api/pools/:pool/dead") { _, context in
            try Responses.json(try await PoolHandle(Self.pool(context), store: store).deadLetters())
        }
        router.get("/api/pools/:pool/consumers") { _, context in
            try Responses.json(try await PoolHandle(Self.pool(context), store: store).consumers())
        }
        router.get("/api/pools/:pool/wakes") { _, context in
            let pool = try Self.pool(context)
            return try Responses.json(try await store.read(pool) { reader in
                _ = try reader.requireInfo()
                return try reader.wakes()
            })
        }
        router.get("/api/pools/:pool/messages") { request, context in
            let pool = try Self.pool(context)
            let status = try request.uri.queryParameters["status"].map { text in
                guard let status = MessageStatus(rawValue: String(text)) else {
                    throw AgentPoolError.invalidInput(field: "status", "status must be one of \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
                }
                return status
            }
            let offset = Int(try Self.integer(request, "offset", in: 0...Int64(Int32.max)) ?? 0)
            let limit = Int(try Self.integer(request, "limit", in: 1...Self.maximumPage) ?? 100)
            let messages = try await Self.messagesByActivity(pool, store: store).filter { status == nil || $0.receipt.status == status }
            return try Responses.json(MessagePage(total: messages.count, offset: offset,
                                                  messages: Array(messages.dropFirst(offset).prefix(limit))))
        }
        router.get("/api/pools/:pool/records") { request, context in
            let pool = try Self.pool(context)
            let after = try Self.integer(request, "after", in: 0...Int64.max) ?? 0
            let limit = try Self.integer(request, "limit", in: 1...Self.maximumPage) ?? 100
            return try Responses.json(try await PoolHandle(pool, store: store).records(after: after, limit: Int(limit)))
        }
        router.get("/api/pools/:pool/stream") { request, context in try await stream(request, context) }

        router.post("/api/pools/:pool/dead/:message/resend") { _, context in
            let pool = try Self.pool(context), message = try Self.decoded(context.parameters.require("message"))
            return try Responses.json(try await PoolHandle(pool, store: store).resend(message))
        }
        router.post("/api/pools/:pool/claims/:message/release") { _, context in
            let pool = try Self.pool(context), message = try Self.decoded(context.parameters.require("message"))
            let handle = try PoolHandle(pool, store: store)
            guard let claim = try await handle.claim(message), claim.status == .held else {
                throw AgentPoolError.make(.notFound, "message '\(message)' has no held claim in pool '\(pool)'")
            }
            return try Responses.json(try await handle.release(message, run: claim.runID, token: claim.token))
        }
        router.post("/api/pools/:pool/compact") { request, context in
            let pool = try Self.pool(context)
            let handle = try PoolHandle(pool, store: store)
            let through: Int64
            if let given = try Self.integer(request, "through", in: 1...Int64.max) {
                through = given
            } else {
                through = try await handle.snapshot().cursor ?? 0
            }
            let force = request.uri.queryParameters["force"].map { $0 == "true" || $0 == "1" } ?? false
            return try Responses.json(try await handle.compact(through: through, force: force))
        }
        router.delete("/api/pools/:pool") { _, context in
            let pool = try Self.pool(context)
            try await PoolHandle(pool, store: store).drop()
            return try Responses.json(["dropped": pool])
        }
    }

    /// `GET …/stream`: the pool's records after `Last-Event-ID` (or `?after=N`, default 0) as
    /// Server-Sent Events, each event's `id` its seq and its data the record JSON, live until the
    /// client goes away (or after `?limit=N` events).
    func stream(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let pool = try Self.pool(context)
        let after: Seq
        if let header = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value {
            guard let value = Seq(header), value >= 0 else {
                throw AgentPoolError.invalidInput(field: "Last-Event-ID", "Last-Event-ID must be a record seq (an integer ≥ 0), got '\(header)'")
            }
            after = value
        } else {
            after = try Self.integer(request, "after", in: 0...Int64.max) ?? 0
        }
        let limit = try Self.integer(request, "limit", in: 1...Int64.max)
        // Refuses a missing pool or a compacted cursor with a status, before the stream starts.
        _ = try await store.read(pool) { reader in
            _ = try reader.requireInfo()
            return try reader.records(after: after, limit: 1).count
        }
        let feeds = self.feeds, metrics = self.metrics
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
            metrics.sseClients.increment()
            defer { metrics.sseClients.decrement() }
            var sent: Int64 = 0
            // why a local error: ending the stream at `limit` from inside the feed's callback.
            struct Enough: Error {}
            do {
                try await writer.write(ByteBuffer(string: ": agentpool \(pool)\n\n"))
                try await feeds.follow(pool, after: after) { frames in
                    // Nothing new for a heartbeat interval: a comment line, which EventSource ignores.
                    if frames.isEmpty { return try await writer.write(ByteBuffer(string: ": heartbeat\n\n")) }
                    let batch = limit.map { Array(frames.prefix(Int(min($0 - sent, Int64(frames.count))))) } ?? frames
                    // One buffer per call, each frame copied once (no joined string in between).
                    var bytes = ByteBuffer()
                    bytes.reserveCapacity(batch.reduce(0) { $0 + $1.text.utf8.count })
                    for frame in batch { bytes.writeString(frame.text) }
                    try await writer.write(bytes)
                    sent += Int64(batch.count)
                    if let limit, sent >= limit { throw Enough() }
                }
            } catch is Enough {
            } catch is CancellationError {}
            try await writer.finish(nil)
        })
    }

    /// Every member with its lease as of one read.
    static func members(_ pool: PoolID, store: any PoolStore) async throws -> [MemberStatus] {
        try await PoolHandle(pool, store: store).memberStatuses()
    }

    /// The claims held now, with their messages, as of one read.
    static func heldClaims(_ pool: PoolID, store: any PoolStore) async throws -> [ClaimDetail] {
        try await PoolHandle(pool, store: store).claimDetails(statuses: [.held])
    }

    /// Every message, the most recently changed first (by its receipt's seq).
    static func messagesByActivity(_ pool: PoolID, store: any PoolStore) async throws -> [StoredMessage] {
        try await store.read(pool) { reader in
            _ = try reader.requireInfo()
            return try reader.messages().sorted { ($0.receipt.cursor ?? 0) > ($1.receipt.cursor ?? 0) }
        }
    }
}
