import AgentPool
#if Postgres
import AgentPoolPostgres
#endif
import AgentPoolStores
import Foundation

/// Stores and pools the scenarios run on, with each backend's default settings: files in one
/// directory, or (with `--db postgres://…`) one schema per store on that server.
final class Fixtures: Sendable {
    let directory: String
    /// The PostgreSQL server's URL, when the benchmark runs on PostgreSQL.
    let postgresURL: String?
    private let schemas = Locked<Set<String>>([])

    init(directory: String, postgresURL: String? = nil) {
        self.directory = directory
        self.postgresURL = postgresURL
    }

    func store(_ name: String) async throws -> any PoolStore {
        try await StoreLocation.open(path(name), logger: StoreLocation.quietLogger())
    }

    /// Where store `name` lives: a file in the directory, or a schema `bench_<name>` on the server.
    func path(_ name: String) -> String {
        guard let postgresURL else { return "\(directory)/\(name).sqlite" }
        let sanitized = String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
        let schema = String("bench_\(sanitized)".prefix(63))
        schemas.withLock { _ = $0.insert(schema) }
        return postgresURL + (postgresURL.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    /// Drops every schema the run created on the server.
    func dropSchemas() async {
        #if Postgres
        guard let postgresURL, let base = try? PostgresLocation(url: postgresURL) else { return }
        for schema in schemas.withLock({ $0 }) {
            _ = try? await PostgresAdmin.execute(base, ["DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"])
        }
        #endif
    }

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

    static func message(_ id: String, from: RunID = "a", to: RunID = "b", content: String = "c", body: JSONValue? = nil) -> Message {
        Message(messageID: id, from: from, to: .run(to), contentRef: content, body: body, idempotencyKey: id)
    }

    /// A body whose JSON is `bytes` bytes: an object with one text field (an LLM answer's shape),
    /// ASCII with a newline and quotes every line, so that escaping is exercised.
    static func body(bytes: Int) -> JSONValue {
        let line = "The reviewer said \"ok\" and moved on to the next file in the diff.\n"  // 64 bytes as JSON
        let text = String(repeating: line, count: max(0, bytes - 11) / 67) // {"text":""} is 11 bytes
        var value = JSONValue.object(["text": .string(text)])
        let size = (try? RecordCodec.encodeJSON(value).utf8.count) ?? 0
        value = .object(["text": .string(text + String(repeating: "x", count: max(0, bytes - size)))])
        return value
    }
}
