import AgentPool
import AgentPoolStores
import ArgumentParser
import Foundation

/// What `copy` prints.
struct CopyResult: Encodable {
    /// One copied pool.
    struct Pool: Encodable {
        /// The pool.
        var poolID: PoolID
        /// How many records were written.
        var records: Int
        /// The pool's cursor at the destination.
        var lastSeq: Seq

        enum CodingKeys: String, CodingKey { case poolID = "pool_id", records, lastSeq = "last_seq" }
    }

    /// The source (a path, or a URL without its password).
    var from: String
    /// The destination (a path, or a URL without its password).
    var to: String
    /// The copied pools, in the order copied.
    var pools: [Pool]
}

/// `agentpool copy --from DB --to DB [POOL...]`: copies pools between any two stores (SQLite
/// files, PostgreSQL URLs), records, seqs and recorded_at preserved.
struct CopyCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy pools between two databases (SQLite files or postgres:// URLs), records, seqs and recorded_at preserved.",
        discussion: """
            Each pool is written in one transaction at the destination, up to the source's cursor when the copy \
            starts. A pool that already exists at the destination is refused before anything is written.
            """)

    /// The global options (`--db` is the default source).
    @OptionGroup var global: GlobalOptions
    /// The source database; `--db` / `$AGENTPOOL_DB` when omitted.
    @Option(help: ArgumentHelp("The source database, a path or a postgres:// URL (default: the global database).", valueName: "path|url"))
    var from: String?
    /// The destination database, created when missing.
    @Option(help: ArgumentHelp("The destination database, a path or a postgres:// URL (created when missing).", valueName: "path|url"))
    var to: String
    /// The pools to copy; every pool of the source when none is named.
    @Argument(help: "The pools to copy (default: every pool of the source).") var pools: [String] = []

    /// Refuses copying a database onto itself.
    func validate() throws {
        if (from ?? global.databasePath) == to { throw ValidationError("--from and --to name the same database") }
    }

    /// Copies each pool in its own destination transaction, after checking that none of them
    /// exists there; prints what was copied. Never creates the source.
    /// - Throws: `poolNotFound` for a named pool the source lacks; `poolExists` when a pool is
    ///   already at the destination (nothing written); `invalidInput`.
    func run() async throws {
        let source = from ?? global.databasePath
        let destination = to
        let verbose = global.verbose
        for pool in pools { try IDValidation.check(pool, field: "pool_id") }
        let copied = try await GlobalOptions.withStore(at: source, .existing, verbose: verbose) { sourceStore in
            let available = try await sourceStore.pools().map(\.poolID)
            let selected = pools.isEmpty ? available : pools
            for pool in selected where !available.contains(pool) { throw AgentPoolError.poolNotFound(pool) }
            return try await GlobalOptions.withStore(at: destination, .createIfMissing, verbose: verbose) { target in
                let existing = Set(try await target.pools().map(\.poolID))
                let clashes = selected.filter(existing.contains)
                guard clashes.isEmpty else {
                    throw AgentPoolError.make(.poolExists,
                        "pool\(clashes.count == 1 ? "" : "s") \(clashes.map { "'\($0)'" }.joined(separator: ", ")) already exist\(clashes.count == 1 ? "s" : "") at the destination; nothing was copied")
                }
                var result: [CopyResult.Pool] = []
                for (index, pool) in selected.enumerated() {
                    Output.progress("copying pool \(index + 1)/\(selected.count) '\(pool)'…")
                    let records = try await Self.records(of: pool, in: sourceStore)
                    try await target.importPool(records)
                    result.append(CopyResult.Pool(poolID: pool, records: records.count, lastSeq: records.last?.seq ?? 0))
                }
                Output.endProgress()
                return result
            }
        }
        let result = CopyResult(from: StoreLocation.redacted(source), to: StoreLocation.redacted(destination), pools: copied)
        try global.print(result) { result in
            Table(headers: ["POOL", "RECORDS", "LAST_SEQ"], rows: result.pools.map { [$0.poolID, "\($0.records)", "\($0.lastSeq)"] })
        }
    }

    /// The pool's records up to its cursor when the call starts (later appends are not copied).
    static func records(of pool: PoolID, in store: any PoolStore) async throws -> [PoolRecord] {
        let head = try await store.read(pool) { try $0.requireInfo().cursor }
        var records: [PoolRecord] = []
        var cursor: Seq = 0
        while cursor < head {
            let page = try await store.records(pool, after: cursor, limit: Int(min(1000, head - cursor)))
            guard let last = page.last else { break }
            records += page
            cursor = last.seq
        }
        return records
    }
}
