import Foundation

/// The single error type of the library.
///
/// Every failed operation writes nothing. ``kind`` says what went wrong; ``retry`` says whether
/// trying again can help. Messages never contain secrets. ``description`` and
/// `localizedDescription` are the same one line, the text the `agentpool` CLI prints after
/// `error: `.
public struct AgentPoolError: Error, Sendable, Hashable, CustomStringConvertible, LocalizedError {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An argument was malformed (an id, a config, a record); ``AgentPoolError/field`` names it.
        case invalidInput
        /// The run is not a member of the pool.
        case notMember
        /// The pool exists with a different config.
        case configConflict
        /// The idempotency key or id is already used by a different message or wake.
        case idempotencyConflict
        /// The status change is not allowed by the status machine.
        case invalidStateTransition
        /// The pool was never opened.
        case poolNotFound
        /// The pool already exists where a new one was required (an import, a copy).
        case poolExists
        /// The requested message, wake or member does not exist.
        case notFound
        /// A claim token is not the current one of a live claim held by the caller: the
        /// claim ran out, was released, or another worker claimed the message since.
        case staleClaim
        /// The cursor is below the pool's last compaction; ``AgentPoolError/checkpoint`` holds
        /// the checkpoint's seq: resync from the snapshot (or that record) and go on after it.
        case cursorCompacted
        /// The database stayed locked past the busy timeout, or a database server was unavailable
        /// for a while (restarting, unreachable, not answering); retrying can succeed. When a
        /// server's connection was lost after a write's commit was sent, the message says that it
        /// may have committed: retry with the same idempotency keys.
        case busy
        /// A stored record or projection cannot be decoded.
        case corruptRecord
        /// The database was written by a newer schema version.
        case unsupportedSchema
        /// The underlying storage failed; ``AgentPoolError/code`` holds its result code.
        case storage
        /// This process's clock disagrees with the store's reference clock (for SQLite the
        /// machine's kernel clock) by more than the tolerance, so its deadlines would act on other
        /// runs' leases and claims wrongly; nothing was written. An operator fixes the clock.
        case clockSkew
    }

    /// How a caller should react to an error.
    public enum Retry: String, Sendable, Hashable {
        /// The same call can succeed later (``Kind/busy``).
        case retryable
        /// The same call will fail again; change the input.
        case notRetryable
        /// The database needs attention (corrupt data, newer schema, storage failure).
        case repairNeeded
    }

    /// What went wrong.
    public let kind: Kind
    /// A precise, human-readable explanation.
    public let message: String
    /// For ``Kind/invalidInput``: the offending field (e.g. `member.run_id`).
    public let field: String?
    /// For ``Kind/storage`` and ``Kind/busy``: the backend's (extended) result code.
    public let code: Int32?
    /// For ``Kind/cursorCompacted``: the seq of the pool's latest `checkpoint` record.
    public let checkpoint: Seq?

    /// Creates an error. Prefer the static constructors.
    public init(kind: Kind, message: String, field: String? = nil, code: Int32? = nil, checkpoint: Seq? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
        self.code = code
        self.checkpoint = checkpoint
    }

    /// Whether retrying the same call can succeed.
    public var retry: Retry {
        switch kind {
        case .busy: .retryable
        case .corruptRecord, .unsupportedSchema, .storage, .clockSkew: .repairNeeded
        default: .notRetryable
        }
    }

    /// True only for ``Kind/busy``.
    public var isRetryable: Bool { retry == .retryable }

    /// `<kind>: <message>`, then ` (code N)` when the backend gave a code, on one line (line
    /// breaks in the message folded into spaces): exactly what the CLI prints after `error: `.
    public var description: String {
        var text = "\(kind.rawValue): \(message)"
        if let code { text += " (code \(code))" }
        return text.foldedToOneLine
    }

    /// The same text as ``description``, so that `error.localizedDescription` reads as the CLI's
    /// error line instead of Foundation's generic "The operation could not be completed".
    public var errorDescription: String? { description }

    /// `invalidInput` naming `field`.
    package static func invalidInput(field: String, _ message: String) -> AgentPoolError {
        AgentPoolError(kind: .invalidInput, message: message, field: field)
    }
    /// `notMember` for `run` in `pool`.
    package static func notMember(_ run: RunID, pool: PoolID) -> AgentPoolError {
        AgentPoolError(kind: .notMember, message: "run '\(run)' is not a member of pool '\(pool)'")
    }
    /// `poolNotFound` for `pool`.
    package static func poolNotFound(_ pool: PoolID) -> AgentPoolError {
        AgentPoolError(kind: .poolNotFound, message: "pool '\(pool)' does not exist (never opened, or dropped)")
    }
    /// `corruptRecord` with `message`.
    package static func corruptRecord(_ message: String) -> AgentPoolError {
        AgentPoolError(kind: .corruptRecord, message: message)
    }
    /// `cursorCompacted`: records after `cursor` of `pool` were compacted into checkpoint `checkpoint`.
    package static func cursorCompacted(_ pool: PoolID, cursor: Seq, compactedThrough: Seq, checkpoint: Seq) -> AgentPoolError {
        AgentPoolError(kind: .cursorCompacted,
                       message: "pool '\(pool)' was compacted through seq \(compactedThrough): cursor \(cursor) is gone; resync from checkpoint \(checkpoint)",
                       checkpoint: checkpoint)
    }
    /// `staleClaim` for `run`'s `token` on message `id`.
    package static func staleClaim(_ id: MessageID, run: RunID, token: Int64?) -> AgentPoolError {
        let presented = token.map { "token \($0)" } ?? "no token"
        return AgentPoolError(kind: .staleClaim,
                              message: "run '\(run)' presented \(presented) for message '\(id)', which is not its live claim")
    }
    /// `staleClaim` for a reply that presented no token although message `claim.messageID` was
    /// claimed: says where its claim stands at `now` and what to pass instead.
    package static func claimTokenMissing(_ claim: MessageClaim, at now: Millis) -> AgentPoolError {
        let token = "token \(claim.token)"
        let state = switch claim.status {
        case .held where claim.expiresAt > now:
            "is claimed (\(token), held by run '\(claim.runID)'): pass its claim token to reply"
        case .held:
            "was claimed (\(token), by run '\(claim.runID)') but the claim ran out: claim it again and pass the new claim token to reply"
        case .open:
            "was claimed (\(token), now open): claim it and pass the new claim token to reply"
        case .done, .deadLetter, .resent:
            "was claimed (\(token), claim \(claim.status.rawValue)): a reply must pass the live claim token"
        }
        return AgentPoolError(kind: .staleClaim, message: "message '\(claim.messageID)' \(state)")
    }
    /// An error of `kind` with `message`.
    package static func make(_ kind: Kind, _ message: String) -> AgentPoolError {
        AgentPoolError(kind: kind, message: message)
    }
}
