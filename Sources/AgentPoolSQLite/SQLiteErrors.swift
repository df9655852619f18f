import AgentPool
import Foundation
import GRDB

/// Maps errors of GRDB and the file system to ``AgentPoolError``.
enum SQLiteErrors {
    static func map(_ error: any Error) -> any Error {
        switch error {
        case let error as AgentPoolError:
            return error
        case let error as DatabaseError:
            let code = error.extendedResultCode.rawValue
            if error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                return AgentPoolError(kind: .busy, message: "the database stayed locked past the busy timeout", code: code)
            }
            return AgentPoolError(kind: .storage, message: error.message ?? "\(error.resultCode)", code: code)
        default:
            // Errors thrown by a caller's transaction body pass through unchanged.
            return error
        }
    }

    /// A storage error with SQLite result `code`.
    static func storage(_ message: String, code: ResultCode) -> AgentPoolError {
        AgentPoolError(kind: .storage, message: message, code: code.rawValue)
    }
}
