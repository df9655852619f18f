import AgentPool
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import GRDB
import Testing

/// What one run of the CLI left: its exit status and everything it printed.
struct CLIResult: CustomStringConvertible {
    /// The exit status.
    let status: Int32
    /// Everything on stdout.
    let stdout: String
    /// Everything on stderr.
    let stderr: String

    /// stdout split into non-empty lines.
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// stdout decoded as one JSON document of type `T` (the CLI prints snake_case keys, which the
    /// library's Codable types read directly).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(stdout.utf8))
    }

    /// stdout parsed as one JSON object.
    func object() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(stdout)")
    }

    /// Everything the run left, for failure messages.
    var description: String { "status \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// A temporary directory with a database path in it, and the built `agentpool` run against it as
/// a real child process.
final class CLIHarness: Sendable {
    /// The temporary directory (removed when the harness goes away).
    let directory: TemporaryDirectory
    /// The database file the CLI is pointed at with `--db`.
    let db: String
    /// The built executable.
    let executable: URL

    /// A fresh directory; the database file does not exist yet. With `database` (a
    /// `postgres://` URL), the CLI is pointed at it instead of the file.
    init(database: String? = nil) throws {
        directory = try TemporaryDirectory()
        db = database ?? directory.path + "/pool.sqlite"
        executable = try ChildProcess.builtProduct(named: "agentpool")
    }

    /// Starts `agentpool --db <db> <arguments>` (without `--db` when `passDB` is false); the
    /// caller waits for lines or for exit.
    func start(_ arguments: [String], passDB: Bool = true, environment: [String: String]? = nil,
               currentDirectory: URL? = nil) throws -> ChildProcess {
        let child = try ChildProcess(executable, (passDB ? ["--db", db] : []) + arguments,
                                     environment: environment, currentDirectory: currentDirectory)
        child.release()
        return child
    }

    /// Runs `agentpool --db <db> <arguments>` to completion.
    func run(_ arguments: [String], passDB: Bool = true, environment: [String: String]? = nil,
             currentDirectory: URL? = nil) async throws -> CLIResult {
        let child = try start(arguments, passDB: passDB, environment: environment, currentDirectory: currentDirectory)
        let result = await child.wait()
        return CLIResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    /// Runs the CLI and requires exit 0 with nothing on stderr.
    @discardableResult
    func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIResult {
        let result = try await run(arguments)
        #expect(result.status == 0, "\(arguments): \(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "\(arguments): \(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Pool `p` with writer `a` and reviewer `b` (topic `t`), message `m1` from `a` delivered to
    /// `b`, and wake `w0` of `b` registered: 6 records.
    func seed() async throws {
        try await succeed(["open", "p"])
        try await succeed(["join", "p", "--run", "a", "--agent", "writer"])
        try await succeed(["join", "p", "--run", "b", "--agent", "reviewer", "--topic", "t"])
        try await succeed(["send", "p", "--id", "m1", "--from", "a", "--to", "agent:reviewer", "--content", "c1", "--key", "k1"])
        try await succeed(["wake", "p", "--id", "w0", "--run", "b", "--key", "wk0", "--kind", "agent_pool_run_left"])
    }

    /// Every row of every table of the database, read through a read-only connection: equal
    /// dumps mean equal logical contents (log, projections, consumers, schema).
    ///
    /// The main file's bytes are not compared: opening the store for a read may checkpoint the
    /// WAL and bump SQLite's change counter without changing any row.
    func dump() throws -> String {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: db, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            var text = ""
            let tables = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master ORDER BY name")
            for table in tables {
                let name: String = table[0]
                text += "\(name): \(table[1] as String? ?? "")\n"
                if try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = ?", arguments: [name]) == "table" {
                    for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(name)\"").map(\.description).sorted() {
                        text += "  \(row)\n"
                    }
                }
            }
            return text
        }
    }

    /// The files in the directory, sorted.
    func files() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }
}

/// Checks the error contract: the expected exit code, nothing on stdout, and exactly one line on
/// stderr starting `error:`.
func expectFailure(_ result: CLIResult, status: Int32, _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "\(context): \(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "\(context): \(result)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[1].isEmpty, "\(context): not exactly one stderr line: \(result)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("error: "), "\(context): \(result)", sourceLocation: sourceLocation)
}
