import AgentPool
import AgentPoolSQLite
import AgentPoolStores
import ArgumentParser
import Foundation

/// `agentpool export POOL`: the records the pool holds as JSON Lines, for `import` (a whole log)
/// or for reading (a compacted pool's log, from its compaction point on).
struct ExportCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a pool's records as JSON Lines (seqs and recorded_at included; a compacted pool from its compaction point on); --format is ignored.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// Prints every record the pool holds up to its cursor at the start — from seq 1, or, once
    /// compacted, after the compaction point — one JSON object per line; the same log always
    /// gives the same bytes. Never creates the database.
    /// - Throws: `poolNotFound`; `corruptRecord`; `cursorCompacted` when another process compacts
    ///   the pool while it is being exported.
    func run() async throws {
        try await target.withPool { pool in
            let info = try await pool.store.read(pool.poolID) { try $0.requireInfo() }
            let head = info.cursor
            var cursor = info.compactedThrough
            while cursor < head {
                let page = try await pool.store.records(pool.poolID, after: cursor, limit: Int(min(1000, head - cursor)))
                guard let last = page.last else { break }
                for record in page { try Output.json(record) }
                cursor = last.seq
            }
        }
    }
}

/// What `import` prints.
struct ImportResult: Encodable {
    /// The imported pool.
    var poolID: PoolID
    /// How many records were written.
    var records: Int
    /// The pool's cursor after the import.
    var lastSeq: Seq

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey { case poolID = "pool_id", records, lastSeq = "last_seq" }
}

/// `agentpool import FILE`: restores one pool exported by `export`, in one transaction;
/// `agentpool import --seed FILE`: every pool of a database written by the seed crate.
struct ImportCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import one pool from a JSON Lines file written by export, or with --seed every pool of a seed-crate SQLite database (all or nothing; refuses an existing pool).")

    /// The global options.
    @OptionGroup var global: GlobalOptions
    /// The file read: JSON Lines, or with `--seed` a seed database.
    @Argument(help: ArgumentHelp("A JSON Lines file holding exactly one pool (with --seed: a seed-crate SQLite database).", valueName: "file")) var file: String
    /// Whether `file` is a database of the seed crate (`agent_pool_records`).
    @Flag(help: "FILE is a SQLite database written by the seed crate (agent_pool_records); every pool in it is imported, each in one transaction, after all were checked. The file is opened read-only. The seed records no times: every record gets the time of the import.")
    var seed = false

    /// Reads and checks the whole file first (one pool, a well-formed log), then writes it in ONE
    /// transaction, seqs and recorded_at preserved. Creates the database when missing, but only
    /// once the file proved importable.
    /// - Throws: ``CLIError/input(_:)`` for an unreadable, empty, mixed or malformed file;
    ///   `poolExists`; nothing is written on any error.
    func run() async throws {
        if seed { return try await importSeed() }
        let records = try Self.readRecords(file)
        let pool = records[0].poolID
        Output.progress("importing \(records.count) records of pool '\(pool)'…")
        defer { Output.endProgress() }
        try await global.withStore(.createIfMissing) { try await $0.importPool(records) }
        let result = ImportResult(poolID: pool, records: records.count, lastSeq: records.last?.seq ?? 0)
        try global.print(result) { result in
            Table(headers: ["POOL", "RECORDS", "LAST_SEQ"], rows: [[result.poolID, "\(result.records)", "\(result.lastSeq)"]])
        }
    }

    /// `import --seed`: every pool of the seed database `file`, checked before the destination is
    /// opened (or created), then imported one transaction per pool.
    private func importSeed() async throws {
        Output.progress("reading the seed database '\(file)'…")
        let logs: [[PoolRecord]]
        do {
            logs = try SeedDatabase.pools(at: file, recordedAt: SystemClock().nowMillis())
        } catch let error as AgentPoolError where error.kind != .storage {
            Output.endProgress()
            throw CLIError.input("\(file) cannot be imported: \(error.message); nothing was imported")
        }
        Output.progress("importing \(logs.count) pools, \(logs.reduce(0) { $0 + $1.count }) records…")
        defer { Output.endProgress() }
        try await global.withStore(.createIfMissing) { try await $0.importPools(logs) }
        let results = logs.map { ImportResult(poolID: $0[0].poolID, records: $0.count, lastSeq: $0[$0.count - 1].seq) }
        try global.print(results) { results in
            Table(headers: ["POOL", "RECORDS", "LAST_SEQ"], rows: results.map { [$0.poolID, "\($0.records)", "\($0.lastSeq)"] })
        }
    }

    /// The records of `path`, checked to be one pool's whole, well-formed log (seqs 1…N,
    /// `pool_opened` first; a compacted export is refused).
    /// - Throws: ``CLIError/input(_:)`` saying what is wrong and where.
    static func readRecords(_ path: String) throws -> [PoolRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.input("cannot read '\(path)'")
        }
        let decoder = JSONDecoder()
        var records: [PoolRecord] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
            do {
                records.append(try decoder.decode(PoolRecord.self, from: Data(line)))
            } catch let error as AgentPoolError {
                throw CLIError.input("\(path) line \(lineNumber): \(error.message)")
            } catch {
                throw CLIError.input("\(path) line \(lineNumber) is not a pool record: \(Self.describe(error))")
            }
            if records.count % 10_000 == 0 { Output.progress("read \(records.count) records…") }
        }
        guard let pool = records.first?.poolID else {
            throw CLIError.input("\(path) holds no records")
        }
        let pools = Set(records.map(\.poolID))
        guard pools.count == 1 else {
            throw CLIError.input("\(path) holds records of \(pools.count) pools (\(pools.sorted().joined(separator: ", "))); a file must hold exactly one pool")
        }
        do {
            try IDValidation.check(pool, field: "pool_id")
            try PoolImport.check(records)
        } catch where error.kind == .invalidInput && error.field == "records" {
            throw CLIError.input("\(path) cannot be imported: \(error.description)")
        } catch {
            throw CLIError.input("\(path) is not a well-formed log of pool '\(pool)': \(error.message)")
        }
        return records
    }

    /// A short description of a decoding error (the path to the bad field and what is wrong).
    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.keyNotFound(_, let context),
             DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// The result of checking one pool: its log replayed by the pure reducer against its projections.
struct PoolCheck: Encodable {
    /// The pool.
    var poolID: PoolID
    /// The cursor the pools table holds.
    var lastSeq: Seq
    /// How many records its log holds.
    var records: Int
    /// Whether the replay of the log equals the snapshot read from the projections.
    var replayMatches: Bool
    /// What is wrong, when something is.
    var problems: [String]

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", lastSeq = "last_seq", records, replayMatches = "replay_matches", problems
    }
}

/// What `doctor` prints.
struct DoctorReport: Encodable {
    /// True only when every check passed.
    var healthy: Bool
    /// The database file, or the PostgreSQL URL without its password.
    var path: String
    /// `PRAGMA integrity_check`: `["ok"]` when healthy. PostgreSQL guards its own storage: there
    /// it says that no file was checked.
    var integrity: [String]
    /// The settings read back from the backend (SQLite: journal mode, synchronous, busy timeout,
    /// foreign keys, schema version; PostgreSQL: server version, synchronous_commit, lock
    /// timeout, schema, schema version).
    var settings: BackendSettings
    /// The schema version this build writes.
    var expectedSchemaVersion: Int
    /// One check per pool.
    var pools: [PoolCheck]
    /// Every problem found, database-wide and per pool.
    var problems: [String]

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey {
        case healthy, path, integrity, settings, expectedSchemaVersion = "expected_schema_version", pools, problems
    }
}

/// The settings a store reports, encoded as one JSON object: each setting under its own name,
/// and `schema_version`.
struct BackendSettings: Encodable {
    /// The settings, in the backend's order.
    var settings: [StoreSetting]
    /// The schema version the backend reports.
    var schemaVersion: Int

    /// A setting's name as a JSON key.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for setting in settings { try container.encode(setting.value, forKey: Key(stringValue: setting.name)) }
        try container.encode(schemaVersion, forKey: Key(stringValue: "schema_version"))
    }

    /// The table rows of doctor's `--format table`, one per setting.
    var rows: [[String]] { settings.map { [$0.name, $0.text] } }
}

/// `agentpool doctor`: checks the file, its settings and every pool's projections.
struct DoctorCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check integrity, schema version, pragmas, and that every pool's projections equal the replay of its log.")

    /// The global options.
    @OptionGroup var global: GlobalOptions

    /// Prints the report; exits 0 only when healthy, otherwise prints the report too and fails with
    /// one `error:` line listing the problems (exit 3). Only reads; never creates the database.
    func run() async throws {
        let path = StoreLocation.redacted(global.databasePath)
        let report = try await global.withStore(.existing) { store in
            try await Self.examine(store, path: path)
        }
        try global.print(report) { report in
            var rows: [[String]] = [
                ["healthy", "\(report.healthy)"],
                ["path", report.path],
                ["integrity", report.integrity.joined(separator: "; ")],
            ]
            rows += report.settings.rows
            rows += [
                ["schema_version", "\(report.settings.schemaVersion) (expected \(report.expectedSchemaVersion))"],
            ]
            rows += report.pools.map {
                ["pool \($0.poolID)", "last_seq=\($0.lastSeq) records=\($0.records) replay_matches=\($0.replayMatches)"]
            }
            rows += report.problems.map { ["problem", $0] }
            return Table(headers: ["CHECK", "RESULT"], rows: rows)
        }
        if !report.healthy {
            throw CLIError.unhealthy("database is unhealthy: " + report.problems.joined(separator: "; "))
        }
    }

    /// Runs every check on `store`; a pool that cannot be read is reported, not thrown.
    static func examine(_ store: any PoolStore, path: String) async throws -> DoctorReport {
        guard let diagnosable = store as? any DiagnosableStore else {
            throw CLIError.input("doctor checks only stores that can diagnose themselves")
        }
        Output.progress("integrity check…")
        let diagnosis = try await diagnosable.diagnose()
        var problems = diagnosis.problems
        let settings = BackendSettings(settings: diagnosis.settings, schemaVersion: diagnosis.schemaVersion)
        let expectedVersion = diagnosis.expectedSchemaVersion
        if settings.schemaVersion != expectedVersion {
            problems.append("schema version is \(settings.schemaVersion), expected \(expectedVersion)")
        }
        let summaries = try await store.pools()
        var checks: [PoolCheck] = []
        for (index, summary) in summaries.enumerated() {
            Output.progress("checking pool \(index + 1)/\(summaries.count) '\(summary.poolID)'…")
            let check = await checkPool(store, summary)
            problems += check.problems.map { "pool '\(summary.poolID)': \($0)" }
            checks.append(check)
        }
        Output.endProgress()
        return DoctorReport(
            healthy: problems.isEmpty, path: path, integrity: diagnosis.integrity, settings: settings,
            expectedSchemaVersion: expectedVersion, pools: checks, problems: problems)
    }

    /// Replays the pool's log with the pure reducer and compares it with the projections.
    static func checkPool(_ store: any PoolStore, _ summary: PoolSummary) async -> PoolCheck {
        var check = PoolCheck(poolID: summary.poolID, lastSeq: summary.lastSeq, records: 0, replayMatches: false, problems: [])
        do {
            let records = try await store.allRecords(summary.poolID)
            check.records = records.count
            // why: a compacted log keeps the records between its compaction point and its latest
            // checkpoint, but the checkpoint alone holds the state before them: replay from it.
            let replayable = records.first?.seq == 1 ? records[...] : records.drop { $0.kind != .checkpoint }
            let replayed = try PoolState.replay(poolID: summary.poolID, records: replayable).snapshot()
            let projected = try await store.snapshot(summary.poolID)
            if replayed.cursor != summary.lastSeq {
                check.problems.append("the log ends at seq \(Cell.number(replayed.cursor)) but the pools table says \(summary.lastSeq)")
            }
            let differences = SnapshotDiff.differences(replay: replayed, projection: projected)
            check.replayMatches = differences.isEmpty
            if !differences.isEmpty {
                check.problems.append("replay and projection disagree: " + differences.joined(separator: ", "))
            }
        } catch {
            check.problems.append(Failure(error).message)
        }
        return check
    }
}

/// Names the parts in which two snapshots differ, for doctor's report.
enum SnapshotDiff {
    /// Empty when equal; otherwise one entry per differing part, naming the ids involved.
    static func differences(replay: Snapshot, projection: Snapshot) -> [String] {
        var result: [String] = []
        if replay.created != projection.created { result.append("created (\(replay.created) vs \(projection.created))") }
        if replay.cursor != projection.cursor {
            result.append("cursor (\(Cell.number(replay.cursor)) vs \(Cell.number(projection.cursor)))")
        }
        if replay.config != projection.config { result.append("config") }
        if replay.topics != projection.topics { result.append("topics") }
        result += keyed("members", replay.members, projection.members, id: \.runID)
        result += keyed("messages", replay.messages, projection.messages, id: \.message.messageID)
        result += keyed("wakes", replay.wakes, projection.wakes, id: \.condition.conditionID)
        if result.isEmpty, replay != projection { result.append("snapshot") }
        return result
    }

    /// The ids present on one side only, or present on both with different values.
    private static func keyed<T: Equatable>(_ name: String, _ replay: [T], _ projection: [T], id: (T) -> String) -> [String] {
        guard replay != projection else { return [] }
        let left = Dictionary(replay.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        let right = Dictionary(projection.map { (id($0), $0) }, uniquingKeysWith: { a, _ in a })
        var ids: [String] = []
        for key in Set(left.keys).union(right.keys).sorted() where left[key] != right[key] {
            let side = left[key] == nil ? "only in projection" : right[key] == nil ? "only in replay" : "differs"
            ids.append("\(key) \(side)")
        }
        return ["\(name) [\(ids.isEmpty ? "order" : ids.joined(separator: "; "))]"]
    }
}

/// `agentpool backup DEST`: a consistent copy of the live database.
struct BackupCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the live database to a new file, consistent as of one moment, while other processes keep writing.")

    /// The global options.
    @OptionGroup var global: GlobalOptions
    /// Where the copy goes; must not exist.
    @Argument(help: "The new file (it must not exist; parent directories are created).") var destination: String

    /// The result printed on success.
    struct Result: Codable {
        /// The source database.
        var source: String
        /// The new copy.
        var destination: String
        /// The copy's pools with their cursors, read back from the copy.
        var pools: [PoolSummary]
    }

    /// Copies, then reads the copy back to report its pools; never creates the source database.
    /// - Throws: `invalidInput` when the destination exists (nothing written).
    func run() async throws {
        let source = global.databasePath
        let destination = self.destination
        let backend = StoreLocation.backend(for: source)
        if let advice = backend.backupAdvice { throw CLIError.input(advice) }
        try await global.withStore(.existing) { store in
            guard let store = store as? any BackupCapableStore else {
                throw CLIError.input("the \(backend.name) store at \(backend.redacted(source)) cannot back itself up; use `agentpool copy --to FILE`")
            }
            try await store.backup(to: destination)
        }
        let copy = try await backend.open(destination, options: StoreOpenOptions(logger: StoreLocation.quietLogger(label: "agentpool.\(backend.name)")))
        let pools = try await copy.pools()
        try await copy.close()
        try global.print(Result(source: source, destination: destination, pools: pools)) { result in
            Table(headers: ["POOL", "LAST_SEQ"], rows: result.pools.map { [$0.poolID, "\($0.lastSeq)"] })
        }
    }
}
