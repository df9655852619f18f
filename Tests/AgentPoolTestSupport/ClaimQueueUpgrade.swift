import AgentPool
import Testing

/// A pool written before the claim queue existed (schema v6 on SQLite, v3 on PostgreSQL): the
/// migration that creates the queue must fill it, so that every delivered, unheld message stays
/// claimable by exactly the runs that could claim it before — and a held one stays held.
public enum ClaimQueueUpgrade {
    /// The entries the migration must write, as (claimable_by, message_id), sorted.
    public static let expectedEntries = [["pool", "anyone"], ["run:other", "for-other"], ["run:w", "direct"], ["topic:t", "queued"]]

    /// Writes pool `p` with the current schema: run `w` holds a claim on `held`; `direct` is
    /// delivered to `w`, `queued` is work for topic `t`, `for-other` for run `other`, `anyone`
    /// work for the whole pool (priority 5: claimed first).
    public static func populate(_ store: any PoolStore) async throws {
        let pool = try PoolHandle("p", store: store)
        _ = try await pool.open()
        try await pool.join(Member(runID: "w", agentID: "a", topics: ["t"]))
        try await pool.join(Member(runID: "other", agentID: "b"))
        func send(_ id: MessageID, to: Address, queued: Bool = false, priority: Int = 0) async throws {
            _ = try await pool.send(Message(messageID: id, from: "other", to: to, contentRef: "c", idempotencyKey: id,
                                            queued: queued, priority: priority))
        }
        try await send("held", to: .run("w"))
        #expect(try await pool.claimNext("w", leaseMillis: 3_600_000)?.message.messageID == "held")
        try await send("direct", to: .run("w"))
        try await send("queued", to: .topic("t"), queued: true)
        try await send("for-other", to: .run("other"), queued: true)
        try await send("anyone", to: .pool("p"), queued: true, priority: 5)
    }

    /// Checks, on the migrated store, that the claims follow the old rules: `w` takes `anyone`,
    /// `direct`, `queued` in queue order and never `held` or `for-other`; `other` takes `for-other`.
    public static func checkClaims(_ store: any PoolStore) async throws {
        let pool = try PoolHandle("p", store: store)
        var taken: [MessageID] = []
        while let claimed = try await pool.claimNext("w", leaseMillis: 60_000) { taken.append(claimed.message.messageID) }
        #expect(taken == ["anyone", "direct", "queued"])
        #expect(try await pool.claimNext("other", leaseMillis: 60_000)?.message.messageID == "for-other")
        #expect(try await pool.claimNext("other", leaseMillis: 60_000) == nil)
    }
}
