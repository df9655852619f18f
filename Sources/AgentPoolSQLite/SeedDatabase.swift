import AgentPool
import Foundation
import GRDB

/// A database written by the seed crate (`agent-sdk-store-sqlite`), read so that its pools can be
/// imported: the table `agent_pool_records(pool_id, seq, kind, payload_json)`, one row per record,
/// payloads tagged by `type` with the record names this package also writes, and
/// `agent_pool_event_seq(pool_id, seq)`, each pool's last seq.
///
/// The file is opened read-only and never changed. Every pool's log is checked whole before
/// anything is imported: seqs 1…N without a gap, a known kind whose payload decodes and says the
/// same kind, every record valid as the API would accept it, and the head the seed recorded.
public enum SeedDatabase {
    /// Every pool's log in the seed database at `path`, checked, by pool id. The seed format
    /// records no time, so every record gets `recordedAt` (e.g. the importing store's now).
    ///
    /// - Throws: `corruptRecord` naming the pool and seq for a gap, an unknown kind or a malformed
    ///   payload, or a head that disagrees with the records; `invalidInput` naming the pool, seq
    ///   and field for a record the API would refuse, or for a file without the seed's table;
    ///   `storage` for a file that cannot be read as SQLite. The file is left untouched.
    public static func pools(at path: String, recordedAt: Millis) throws -> [[PoolRecord]] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AgentPoolError.make(.notFound, "no file at '\(path)'")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                guard try db.tableExists("agent_pool_records") else {
                    throw AgentPoolError.invalidInput(field: "seed",
                        "'\(path)' is not a seed database: it has no table agent_pool_records")
                }
                var heads: [String: Int64] = [:]
                if try db.tableExists("agent_pool_event_seq") {
                    for row in try Row.fetchAll(db, sql: "SELECT pool_id, seq FROM agent_pool_event_seq") {
                        let pool = try column(row, 0, String.self, "agent_pool_event_seq.pool_id")
                        heads[pool] = max(heads[pool] ?? 0, try column(row, 1, Int64.self, "agent_pool_event_seq.seq"))
                    }
                }
                var logs: [[PoolRecord]] = []
                var current: [PoolRecord] = []
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT pool_id, seq, kind, payload_json FROM agent_pool_records ORDER BY pool_id, seq
                    """)
                while let row = try rows.next() {
                    let pool = try column(row, 0, String.self, "agent_pool_records.pool_id")
                    let seq = try column(row, 1, Int64.self, "agent_pool_records.seq")
                    if let last = current.last, last.poolID != pool {
                        logs.append(try finished(current, head: heads[last.poolID]))
                        current = []
                    }
                    let expected = (current.last?.seq ?? 0) + 1
                    guard seq == expected else {
                        throw AgentPoolError.corruptRecord(expected == 1
                            ? "pool '\(pool)' of the seed database starts at seq \(seq), not 1"
                            : "pool '\(pool)' of the seed database has a gap: seq \(seq) follows seq \(expected - 1)")
                    }
                    let payload = try RecordCodec.decode(kind: try column(row, 2, String.self, "agent_pool_records.kind"),
                                                         payload: try column(row, 3, String.self, "agent_pool_records.payload_json"),
                                                         pool: pool, seq: seq)
                    current.append(PoolRecord(poolID: pool, seq: seq, recordedAt: recordedAt, payload: payload))
                }
                if let last = current.last { logs.append(try finished(current, head: heads[last.poolID])) }
                return logs
            }
        } catch let error as AgentPoolError {
            throw error
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// Column `index` of `row` as `T`; `corruptRecord` naming `name` when it is NULL or of another
    /// type (GRDB's typed subscript would trap instead).
    private static func column<T: DatabaseValueConvertible>(_ row: Row, _ index: Int, _ type: T.Type, _ name: String) throws -> T {
        let value: DatabaseValue = row[index]
        guard let converted = T.fromDatabaseValue(value) else {
            throw AgentPoolError.corruptRecord("the seed database's \(name) holds \(value), not a \(T.self)")
        }
        return converted
    }

    /// `log` checked as an import would check it, and against the seed's recorded head.
    private static func finished(_ log: [PoolRecord], head: Int64?) throws -> [PoolRecord] {
        let pool = log[0].poolID, last = log[log.count - 1].seq
        if let head, head != last {
            throw AgentPoolError.corruptRecord(
                "pool '\(pool)' of the seed database: agent_pool_event_seq says its last seq is \(head), its records end at \(last)")
        }
        try PoolImport.check(log)
        return log
    }
}

extension PoolStore {
    /// Imports every pool of the seed database at `path` (``SeedDatabase/pools(at:recordedAt:)``),
    /// each pool in one transaction, after every pool's log has been checked and found absent from
    /// this store: a refused file writes nothing. Returns the imported logs.
    ///
    /// - Throws: what ``SeedDatabase/pools(at:recordedAt:)`` throws; `poolExists` when this store
    ///   already has one of the pools (nothing written).
    @discardableResult
    public func importSeedDatabase(at path: String) async throws -> [[PoolRecord]] {
        let logs = try SeedDatabase.pools(at: path, recordedAt: clock.nowMillis())
        try await importPools(logs)
        return logs
    }
}
