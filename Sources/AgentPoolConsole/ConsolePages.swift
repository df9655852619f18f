import AgentPool
import Hummingbird

/// The pages' routes: the pools list, a pool, a pool's live sections, a record, the login form
/// and the script.
extension Console {
    func addPages(to router: Router<BasicRequestContext>) {
        let store = self.store, options = self.options
        router.get("/") { _, _ in Responses.html(Pages.pools(try await store.pools())) }
        router.get("/pools/:pool") { request, context in
            Responses.html(Pages.pool(try await Self.poolView(Self.pool(context), page: Self.page(request), store: store)))
        }
        router.get("/pools/:pool/sections") { request, context in
            Responses.html(Pages.sections(try await Self.poolView(Self.pool(context), page: Self.page(request), store: store)))
        }
        router.get("/pools/:pool/records/:seq") { _, context in
            let pool = try Self.pool(context)
            guard let seq = Seq(try context.parameters.require("seq")), seq >= 1 else {
                throw AgentPoolError.invalidInput(field: "seq", "a record's seq is an integer ≥ 1")
            }
            guard let record = try await store.records(pool, after: seq - 1, limit: 1).first, record.seq == seq else {
                throw AgentPoolError.make(.notFound, "pool '\(pool)' holds no record \(seq)")
            }
            return Responses.html(Pages.record(record, pool: pool))
        }
        router.get("/console.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ConsoleScript.source)))
        }
        router.get("/login") { request, _ in
            Responses.html(Pages.login(next: request.uri.queryParameters["next"].map(String.init) ?? "/", failed: false))
        }
        router.post("/login") { request, _ in
            var request = request
            let form = Self.form(String(buffer: try await request.collectBody(upTo: 16_384)))
            let next = Self.localPath(form["next"] ?? "/")
            guard let token = options.token else {
                return Response(status: .seeOther, headers: [.location: next])
            }
            guard let given = form["token"], TokenCheck.matches(given, token) else {
                return Responses.html(Pages.login(next: next, failed: true), status: .unauthorized)
            }
            return Response(status: .seeOther, headers: [
                .location: next,
                .setCookie: "\(TokenCheck.cookieName)=\(TokenCheck.cookieValue(token)); Path=/; HttpOnly; SameSite=Strict",
            ])
        }
    }

    /// The `page` query parameter (0 = the most recently active threads).
    static func page(_ request: Request) throws -> Int {
        Int(try integer(request, "page", in: 0...1_000_000) ?? 0)
    }

    /// `next` if it is a path on this site, else `/` (a login never redirects elsewhere).
    static func localPath(_ next: String) -> String {
        next.hasPrefix("/") && !next.hasPrefix("//") && !next.contains("\\") ? next : "/"
    }

    /// An `application/x-www-form-urlencoded` body as a dictionary.
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// What the pool page shows, page `page` of its threads.
    static func poolView(_ pool: PoolID, page: Int, store: any PoolStore) async throws -> PoolView {
        let handle = try PoolHandle(pool, store: store)
        let dead = try await handle.deadLetters()
        let consumers = try await handle.consumers()
        return try await store.read(pool) { [clock = store.clock] reader in
            let info = try reader.requireInfo()
            let now = clock.nowMillis()
            let members = try reader.memberStatuses(now: now)
            let claims = try reader.claimDetails(statuses: [.held], run: nil, now: now)
            let threads = threadsByActivity(try reader.messages())
            let first = min(page * PoolView.threadsPerPage, threads.count)
            let tail = try reader.records(after: max(0, info.cursor - Seq(PoolView.tailLength)), limit: PoolView.tailLength)
            return PoolView(poolID: pool, cursor: info.cursor, now: now, members: members, claims: claims, dead: dead,
                            wakes: try reader.registeredWakes(), consumers: consumers,
                            threads: Array(threads[first..<min(first + PoolView.threadsPerPage, threads.count)]),
                            threadCount: threads.count, page: page, tail: tail)
        }
    }

    /// Messages grouped into threads — a message that answers none in the pool, followed by its
    /// replies (and theirs) in seq order — the most recently active thread first.
    static func threadsByActivity(_ messages: [StoredMessage]) -> [[StoredMessage]] {
        let byID = Dictionary(messages.map { ($0.message.messageID, $0) }, uniquingKeysWith: { first, _ in first })
        func root(_ stored: StoredMessage) -> MessageID {
            var current = stored, seen: Set<MessageID> = [stored.message.messageID]
            while let parent = current.message.replyTo, let next = byID[parent], seen.insert(parent).inserted { current = next }
            return current.message.messageID
        }
        var threads: [MessageID: [StoredMessage]] = [:]
        for stored in messages { threads[root(stored), default: []].append(stored) }
        let activity = { (thread: [StoredMessage]) in thread.map { $0.receipt.cursor ?? 0 }.max() ?? 0 }
        return threads.map { rootID, members in
            members.sorted { lhs, rhs in
                if lhs.message.messageID == rootID { return rhs.message.messageID != rootID }
                if rhs.message.messageID == rootID { return false }
                return (lhs.receipt.cursor ?? 0) < (rhs.receipt.cursor ?? 0)
            }
        }.sorted { activity($0) > activity($1) }
    }
}
