import AgentPool
import AgentPoolSQLite
import AgentPoolTestSupport
import Foundation
import GRDB
import Logging


/// Options with a quiet logger and, when given, a statement trace.
func quietOptions(trace: (@Sendable (String) -> Void)? = nil) -> SQLiteOptions {
    var options = SQLiteOptions()
    options.logger.logLevel = .warning
    options.statementTrace = trace
    return options
}

/// The bytes of a file, or nil when it does not exist; compared before and after to prove a
/// refused open left the file untouched.
func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// Collects the SQL of traced statements.
final class StatementLog: Sendable {
    private let statements = Locked<[String]>([])
    private let recording = Locked(false)

    var trace: @Sendable (String) -> Void {
        { [self] sql in if recording.withLock({ $0 }) { statements.withLock { $0.append(sql) } } }
    }

    func start() { statements.withLock { $0 = [] }; recording.withLock { $0 = true } }
    func stop() -> [String] { recording.withLock { $0 = false }; return statements.withLock { $0 } }

    /// The statements run by `body`.
    func during(_ body: () async throws -> Void) async rethrows -> [String] {
        statements.withLock { $0 = [] }
        recording.withLock { $0 = true }
        try await body()
        recording.withLock { $0 = false }
        return statements.withLock { $0 }
    }
}

