import AgentPool
import AgentPoolSQLite
import Foundation

/// Stores and pools the scenarios run on: files in one directory, the store's default settings.
struct Fixtures {
    let directory: String

    func store(_ name: String) throws -> SQLiteStore {
        var options = SQLiteOptions()
        options.logger.logLevel = .warning
        return try SQLiteStore(path: "\(directory)/\(name).sqlite", options: options)
    }

    func path(_ name: String) -> String { "\(directory)/\(name).sqlite" }

    /// A pool with members `a` and `b`; the first two records are the joins.
    static func openPool(_ pool: PoolID, in store: any PoolStore) async throws -> PoolHandle {
        let handle = try await PoolHandle.open(pool, store: store)
        try await handle.join(Member(runID: "a", agentID: "agent-a"))
        try await handle.join(Member(runID: "b", agentID: "agent-b"))
        return handle
    }

    /// A pool whose log has `count` records (opened, two joins, then delivered messages),
    /// written in one import transaction: far faster than sending them one by one.
    static func importHistory(_ pool: PoolID, records count: Int, into store: any PoolStore) async throws {
        var records = [
            PoolRecord(poolID: pool, seq: 1, recordedAt: 1, payload: .poolOpened(PoolConfig())),
            PoolRecord(poolID: pool, seq: 2, recordedAt: 2, payload: .memberJoined(Member(runID: "a", agentID: "agent-a"))),
            PoolRecord(poolID: pool, seq: 3, recordedAt: 3, payload: .memberJoined(Member(runID: "b", agentID: "agent-b"))),
        ]
        var seq: Seq = 4
        var index = 0
        while records.count < count {
            let id = "history-\(index)"
            let message = Message(messageID: id, from: "a", to: .run("b"), contentRef: "c", idempotencyKey: id)
            records.append(PoolRecord(poolID: pool, seq: seq, recordedAt: seq,
                                      payload: .runMessage(StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted, cursor: seq)))))
            seq += 1
            index += 1
        }
        try await store.importPool(records)
    }

    static func message(_ id: String, from: RunID = "a", to: RunID = "b", content: String = "c") -> Message {
        Message(messageID: id, from: from, to: .run(to), contentRef: content, idempotencyKey: id)
    }
}
