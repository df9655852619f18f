import AgentPool
import Foundation
import MCP

/// The reading tools: `inbox` and `wait`, over the run's durable inbox cursor.
extension AgentSession {
    /// The most messages one `inbox` or `wait` returns; the rest come with the next call.
    static let inboxPage = 100
    /// `wait`'s timeout when none is given: 30 s.
    static let defaultWaitMillis: Millis = 30_000
    /// The longest `wait`: 10 min.
    static let maximumWaitMillis: Millis = 600_000
    /// How often a `wait` reports progress to a client that asked for it.
    static let progressIntervalMillis: Millis = 5_000

    /// `inbox`: the messages delivered to this run after its acknowledged cursor, oldest first;
    /// acknowledges them (the cursor moves past the last) unless `ack` is false.
    func inbox(_ arguments: ToolArguments) async throws -> ToolOutput {
        let ack = try arguments.bool("ack", default: true)
        let (items, cursor) = try await unacknowledged(ack: ack)
        let summary = items.isEmpty ? "no new messages" : "\(items.count) new message(s): " + items.map(Self.line).joined(separator: "; ")
        return ToolOutput(structured: try inboxValue(items, cursor: cursor, acknowledged: ack), summary: summary)
    }

    /// `wait`: blocks until a message reaches this run — or, with `filter`, until an event
    /// matching it is recorded after `since` (default: the pool's cursor at the call); with
    /// `any_of`, an event matching any of its filters, reporting which (`matched_filter`) — or
    /// `timeout_ms` passes (default 30 s, at most 10 min). Messages it returns are acknowledged,
    /// as `inbox` does. Writes nothing of its own while it waits, costs no CPU (it sleeps on the
    /// store's change notifications), reports progress every 5 s when the client asked for it,
    /// and ends at once, answering nothing, when the client cancels the request.
    func wait(_ arguments: ToolArguments, context: ToolContext) async throws -> ToolOutput {
        let timeout = try arguments.integer("timeout_ms", in: 0...Self.maximumWaitMillis) ?? Self.defaultWaitMillis
        let filter = try arguments.present("filter").map { try eventFilter($0, arguments, field: "filter") }
        let anyOf = try arguments.present("any_of").map { try anyOfFilters($0, arguments) }
        if filter != nil, anyOf != nil {
            throw arguments.invalid("any_of", "give 'filter' or 'any_of' to tool 'wait', not both")
        }
        let since = try arguments.integer("since", in: 0...Int64.max)
        let deadline = pool.store.clock.nowMillis() + timeout
        return try await reportingProgress(context, timeout: timeout) {
            if let filters = anyOf ?? filter.map({ [$0] }) {
                return try await self.waitForEvent(filters, anyOf: anyOf != nil, since: since, deadline: deadline, timeout: timeout)
            }
            return try await self.waitForMessages(deadline: deadline, timeout: timeout)
        }
    }

    /// Waits for messages in the inbox after the acknowledged cursor until `deadline`, and
    /// acknowledges them.
    private func waitForMessages(deadline: Millis, timeout: Millis) async throws -> ToolOutput {
        let delivered = EventFilter(kinds: .oneOf([.message(.delivered)]), targets: .oneOf([runID]))
        var since = try await inbox.cursor()
        while true {
            let (items, cursor) = try await unacknowledged(ack: true)
            if !items.isEmpty {
                return ToolOutput(structured: try inboxValue(items, cursor: cursor, acknowledged: true, timedOut: false),
                                  summary: "\(items.count) message(s) arrived: " + items.map(Self.line).joined(separator: "; "))
            }
            let remaining = max(0, deadline - pool.store.clock.nowMillis())
            guard let event = try await pool.next(matching: delivered, since: since, timeoutMillis: remaining) else {
                return ToolOutput(structured: try inboxValue([], cursor: cursor, acknowledged: true, timedOut: true),
                                  summary: "nothing arrived within \(timeout) ms")
            }
            since = event.cursor
        }
    }

    /// Waits for the first event matching one of `filters` after `since` until `deadline`;
    /// with `anyOf`, the result says which filter matched (`matched_filter`, from 0).
    private func waitForEvent(_ filters: [EventFilter], anyOf: Bool, since: Seq?, deadline: Millis, timeout: Millis) async throws -> ToolOutput {
        let start: Seq
        if let since { start = since } else { start = try await poolCursor() }
        let remaining = max(0, deadline - pool.store.clock.nowMillis())
        let found: (event: PoolEvent, matchedFilter: Int)?
        if anyOf {
            found = try await pool.next(matchingAnyOf: filters, since: start, timeoutMillis: remaining)
        } else {
            found = try await pool.next(matching: filters[0], since: start, timeoutMillis: remaining).map { ($0, 0) }
        }
        guard let (event, matched) = found else {
            return ToolOutput(structured: ["timed_out": true, "since": .int(Int(start))],
                              summary: "no matching event within \(timeout) ms")
        }
        var object: [String: Value] = ["timed_out": false, "event": try JSONBridge.value(event)]
        if anyOf { object["matched_filter"] = .int(matched) }
        if let messageID = event.messageID,
           let stored = try await pool.store.read(pool.poolID, { try $0.message(messageID) }) {
            object["message_id"] = .string(messageID)
            object["body"] = try stored.message.body.map(JSONBridge.value) ?? .null
        }
        return ToolOutput(structured: .object(object),
                          summary: "\(event.kind.rawValue) at \(event.cursor)" + (event.messageID.map { " (\($0))" } ?? "")
                              + (anyOf ? ", filter \(matched) matched" : ""))
    }

    /// Runs `body` while a ticker reports progress every few seconds, when the client asked for it.
    private func reportingProgress(_ context: ToolContext, timeout: Millis,
                                   _ body: @escaping @Sendable () async throws -> ToolOutput) async throws -> ToolOutput {
        guard context.progressToken != nil else { return try await body() }
        let clock = pool.store.clock
        let start = clock.nowMillis()
        return try await withThrowingTaskGroup(of: ToolOutput?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                // why: a periodic report, not a synchronisation; cancelled once body returns.
                while true {
                    try await clock.sleep(untilMillis: clock.nowMillis() + Self.progressIntervalMillis)
                    let waited = clock.nowMillis() - start
                    await context.progress(Double(waited), total: Double(timeout), message: "waited \(waited) ms of \(timeout)")
                }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let output = next { return output }
            }
            throw CancellationError()
        }
    }

    /// The messages after the acknowledged cursor (one page), acknowledged when `ack` is true;
    /// with the cursor in force afterwards.
    func unacknowledged(ack: Bool) async throws -> ([InboxItem], Seq) {
        let cursor = try await inbox.cursor()
        let items = try await pool.inbox(runID, after: cursor, limit: Self.inboxPage)
        guard ack, let last = items.last else { return (items, cursor) }
        return (items, try await inbox.ack(last.cursor))
    }

    /// `filter` decoded as an `EventFilter` (`source_runs`, `kinds`, `targets`, `message_ids`,
    /// each a list of strings).
    private func eventFilter(_ value: Value, _ arguments: ToolArguments, field: String) throws -> EventFilter {
        let facets = ["source_runs", "kinds", "targets", "message_ids"]
        guard case .object(let fields) = value, fields.keys.allSatisfy(facets.contains),
              let filter = JSONBridge.decode(EventFilter.self, from: value) else {
            throw arguments.invalid(field, "argument '\(field)' of tool 'wait' must be an object of lists of strings: source_runs, kinds, targets, message_ids")
        }
        // Unknown kinds and malformed ids are refused by PoolHandle.next, naming the facet.
        return filter
    }

    /// `any_of` decoded as a list of event filters (1 to ``WakeCondition/maxAnyOf``).
    private func anyOfFilters(_ value: Value, _ arguments: ToolArguments) throws -> [EventFilter] {
        guard case .array(let items) = value, (1...WakeCondition.maxAnyOf).contains(items.count) else {
            throw arguments.invalid("any_of", "argument 'any_of' of tool 'wait' must be a list of 1 to \(WakeCondition.maxAnyOf) filters")
        }
        return try items.enumerated().map { try eventFilter($1, arguments, field: "any_of[\($0)]") }
    }

    /// An inbox page as a result: the messages, the cursor in force, whether they were acknowledged.
    private func inboxValue(_ items: [InboxItem], cursor: Seq, acknowledged: Bool, timedOut: Bool? = nil) throws -> Value {
        var object: [String: Value] = [
            "messages": try JSONBridge.value(items.map(MessageView.init)),
            "cursor": .int(Int(cursor)),
            "acknowledged": .bool(acknowledged && !items.isEmpty),
        ]
        if let timedOut { object["timed_out"] = .bool(timedOut) }
        return .object(object)
    }

    /// One message in a summary line: id, sender and body.
    static func line(_ item: InboxItem) -> String {
        "\(item.message.messageID) from \(item.message.from)" + (item.message.body.map { ": " + JSONBridge.text($0) } ?? "")
    }
}
