import AgentPool
import MCP

/// The read-only tools: `members`, `status`, `history`. They write nothing.
extension AgentSession {
    /// The most records `history` returns.
    static let maximumHistory: Int64 = 1000

    /// `members`: every member of the pool with its agent, topics and lease; `live` is false
    /// for one whose lease ran out and that the next write removes.
    func members(_ arguments: ToolArguments) async throws -> ToolOutput {
        let pool = self.pool
        let now = pool.store.clock.nowMillis()
        let rows = try await pool.store.read(pool.poolID) { reader -> [Value] in
            try reader.members().map { member in
                let lease = try reader.lease(member.runID)
                var row: [String: Value] = [
                    "run_id": .string(member.runID), "agent_id": .string(member.agentID),
                    "topics": .array(member.topics.map(Value.string)),
                    "live": .bool(lease.map { $0.expiresAt > now } ?? true),
                ]
                if let lease { row["lease_expires_at"] = .int(Int(lease.expiresAt)) }
                return .object(row)
            }
        }
        let live = rows.filter { $0.objectValue?["live"] == true }.count
        return ToolOutput(structured: ["members": .array(rows)], summary: "\(rows.count) member(s), \(live) live")
    }

    /// `status`: this run's pool, its acknowledged inbox cursor, how many messages wait in its
    /// inbox after it, and the claims it holds.
    func status(_ arguments: ToolArguments) async throws -> ToolOutput {
        let cursor = try await inbox.cursor()
        let head = try await poolCursor()
        let waiting = try await pool.inbox(runID, after: cursor, limit: Self.inboxPage).count
        let held = try await pool.heldClaims(run: runID)
        let structured: Value = [
            "pool_id": .string(pool.poolID), "run_id": .string(runID), "agent_id": .string(identity.agentID),
            "cursor": .int(Int(cursor)), "pool_cursor": .int(Int(head)),
            "inbox_count": .int(waiting), "inbox_count_is_lower_bound": .bool(waiting == Self.inboxPage),
            "held_claims": .array(held.map { .object(["message_id": .string($0.messageID), "expires_at": .int(Int($0.expiresAt))]) }),
        ]
        return ToolOutput(structured: structured,
                          summary: "\(runID) in \(pool.poolID): cursor \(cursor) of \(head), \(waiting) unread, \(held.count) claim(s) held")
    }

    /// `history`: the pool's last `limit` records (default 20, at most 1000), oldest first.
    func history(_ arguments: ToolArguments) async throws -> ToolOutput {
        let limit = try arguments.integer("limit", in: 1...Self.maximumHistory) ?? 20
        let head = try await poolCursor()
        let records = try await pool.records(after: max(0, head - limit), limit: Int(limit))
        return ToolOutput(structured: ["records": try JSONBridge.value(records)],
                          summary: "\(records.count) record(s) up to \(head)")
    }
}
