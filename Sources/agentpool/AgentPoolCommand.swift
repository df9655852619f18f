import AgentPool
import AgentPoolStores
import ArgumentParser
import Foundation
import Logging

/// `agentpool`: inspect and drive agent pools in one SQLite file, or in a PostgreSQL database,
/// from the shell.
///
/// Every verb prints one JSON document on stdout (JSON Lines for `tail` and `export`), or aligned
/// columns with `--format table`. Failures print exactly one `error:` line on stderr, write
/// nothing, and exit 1 (input, not found, conflict), 2 (usage) or 3 (storage, busy, corrupt
/// record, unsupported schema, unhealthy database); `send` exits 4 when the message it recorded
/// reached no recipient.
@main
struct AgentPoolCommand: AsyncParsableCommand {
    /// The verbs, spelled as operators type them.
    static let configuration = CommandConfiguration(
        commandName: "agentpool",
        abstract: "Inspect and drive agent pools stored in one SQLite file or a PostgreSQL database.",
        discussion: """
            The database is --db PATH, else $AGENTPOOL_DB, else ./agentpool.sqlite; a \
            postgres:// or postgresql:// URL there selects the PostgreSQL backend. Verbs that only \
            read never create it. Exit codes: 0 success, 1 input/not-found/conflict, 2 usage, \
            3 storage/busy/corrupt/unsupported schema/clock skew, 4 a sent message reached no recipient.
            """,
        subcommands: [
            PoolsCommand.self, OpenCommand.self, JoinCommand.self, LeaveCommand.self,
            SendCommand.self, SnapshotCommand.self, TailCommand.self, WakeCommand.self,
            InboxCommand.self, ConsumersCommand.self, DoctorCommand.self, ExportCommand.self,
            ImportCommand.self, BackupCommand.self, CopyCommand.self, HeartbeatCommand.self, SweepCommand.self,
            ClaimCommand.self, CompleteCommand.self, ReleaseCommand.self, DeadCommand.self, NextCommand.self,
            ResendCommand.self, MembersCommand.self, ClaimsCommand.self, CompactCommand.self, DropCommand.self,
            MCPCommand.self, ServeCommand.self,
        ])

    /// The global options, when given before the verb.
    @OptionGroup var global: GlobalOptions

    /// Parses the command line, runs the verb, and turns every failure into one `error:` line on
    /// stderr and the documented exit code. Never returns normally after a failure.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(reporting: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Reports `error` and exits with its code: help and version requests print their text on
    /// stdout and exit 0; everything else prints one `error:` line on stderr.
    static func exit(reporting error: any Error) -> Never {
        if error is AgentPoolError || error is CLIError || error is CancellationError {
            let failure = Failure(error)
            Output.error("error: " + failure.message)
            Foundation.exit(failure.exitCode)
        }
        let code = exitCode(for: error)
        if code == .success {
            Output.line(fullMessage(for: error))
            Foundation.exit(0)
        }
        if let exitCode = error as? ExitCode {
            Foundation.exit(exitCode.rawValue)
        }
        // Everything the argument parser rejects (unknown verb or option, a missing or malformed
        // value, a failed validate()) is a usage error.
        Output.error("error: " + message(for: error).foldedToOneLine)
        Foundation.exit(ExitStatus.usage)
    }
}

/// The documented exit codes.
enum ExitStatus {
    /// Invalid input, an unknown pool/message/wake/member, or a conflict with stored state.
    static let input: Int32 = 1
    /// The command line itself is wrong (argument-parser errors).
    static let usage: Int32 = 2
    /// The database cannot be used as it is: storage failure, busy, corrupt or unsupported.
    static let storage: Int32 = 3
    /// `send` recorded the message but it reached no recipient (`failed`, `no_recipient`).
    static let unreached: Int32 = 4
}

/// Errors the CLI raises itself, beside the library's ``AgentPoolError``.
enum CLIError: Error {
    /// The database file does not exist and the verb must not create it (exit 1).
    case noDatabase(path: String)
    /// The user's input (a file to import, a value) is unusable (exit 1).
    case input(String)
    /// `doctor` found the database unhealthy (exit 3); the message says what is wrong.
    case unhealthy(String)
    /// A message was recorded but reached no recipient (exit 4); its receipt was printed.
    case unreached(String)
}

/// An error as the CLI reports it: one line of text and an exit code.
struct Failure {
    /// The text after `error: `, on one line.
    let message: String
    /// The process exit code.
    let exitCode: Int32

    /// Classifies `error` by the documented exit codes.
    init(_ error: any Error) {
        switch error {
        case let error as AgentPoolError:
            // One source for the text: the error's description, which localizedDescription returns too.
            message = error.description
            switch error.kind {
            case .invalidInput, .notMember, .configConflict, .idempotencyConflict, .invalidStateTransition,
                 .poolNotFound, .notFound, .poolExists, .staleClaim, .cursorCompacted:
                exitCode = ExitStatus.input
            case .storage, .busy, .corruptRecord, .unsupportedSchema, .clockSkew:
                exitCode = ExitStatus.storage
            }
        case CLIError.noDatabase(let path):
            message = "no database at \(path)"
            exitCode = ExitStatus.input
        case CLIError.input(let text):
            message = text.foldedToOneLine
            exitCode = ExitStatus.input
        case CLIError.unhealthy(let text):
            message = text.foldedToOneLine
            exitCode = ExitStatus.storage
        case CLIError.unreached(let text):
            message = text
            exitCode = ExitStatus.unreached
        case is CancellationError:
            message = "interrupted"
            exitCode = ExitStatus.input
        default:
            message = "\(error)".foldedToOneLine
            exitCode = ExitStatus.input
        }
    }
}

/// The options every verb accepts: where the database is, how to print, how chatty to be.
struct GlobalOptions: ParsableArguments {
    /// The database file or `postgres://` URL; falls back to `$AGENTPOOL_DB`, then `./agentpool.sqlite`.
    @Option(name: .long, help: ArgumentHelp(
        "The database file, or a postgres:// URL (default: $AGENTPOOL_DB, else ./agentpool.sqlite).", valueName: "path|url"))
    var db: String?

    /// `json` (default) or `table`.
    @Option(name: .long, help: "Output format: json (default) or table.")
    var format: OutputFormat = .json

    /// Logs the store's open summary line (on stderr).
    @Flag(name: .long, help: "Log the store's open summary on stderr.")
    var verbose = false

    /// The database path in force: `--db`, else a non-empty `$AGENTPOOL_DB`, else the default.
    var databasePath: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["AGENTPOOL_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "./agentpool.sqlite"
    }

    /// Whether a verb may create the database file.
    enum Access {
        /// The file must exist; it is never created (read verbs, and writes to existing pools).
        case existing
        /// The file is created (0600, parent directories included) when missing.
        case createIfMissing
    }

    /// Opens the store, runs `body` on it, and closes it (also when `body` throws): connections,
    /// locks and the notifier thread are released before the process exits.
    ///
    /// - Throws: ``CLIError/noDatabase(path:)`` when `access` is `.existing` and the file (or the
    ///   PostgreSQL store) is missing (nothing is created); the store's open errors; whatever
    ///   `body` throws.
    func withStore<T>(_ access: Access, _ body: (any PoolStore) async throws -> T) async throws -> T {
        try await Self.withStore(at: databasePath, access, verbose: verbose, body)
    }

    /// ``withStore(_:_:)`` for the store at `location` (a path or a `postgres://` URL).
    static func withStore<T>(at location: String, _ access: Access, verbose: Bool,
                             _ body: (any PoolStore) async throws -> T) async throws -> T {
        let backend = StoreLocation.backend(for: location)
        var logger = Logger(label: "agentpool.\(backend.name)") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .info : .warning
        let store: any PoolStore
        do {
            store = try await backend.open(location, options: StoreOpenOptions(
                logger: logger, createIfMissing: access == .createIfMissing))
        } catch let error as AgentPoolError where access == .existing && error.kind == .notFound {
            throw CLIError.noDatabase(path: backend.redacted(location))
        }
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Prints `null`, or, with `--format table`, `line` saying what there is none of: the
    /// output of a verb that found nothing (and exits 0).
    func printNothing(_ line: String) {
        switch format {
        case .json: Output.line("null")
        case .table: Output.line(line)
        }
    }

    /// Prints `value` as JSON, or, with `--format table`, the table `table` builds from it.
    func print<T: Encodable>(_ value: T, table: (T) -> Table) throws {
        switch format {
        case .json: try Output.json(value)
        case .table: Output.table(table(value))
        }
    }
}
