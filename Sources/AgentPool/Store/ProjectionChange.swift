/// One primitive change to a pool's projections, computed by the core's rules for an appended
/// record (see ``PoolStorage/append(_:applying:)``). A backend applies it as it is.
package enum ProjectionChange: Sendable {
    /// The pool's created flag becomes true.
    case markCreated
    /// The pool's latest checkpoint is the record being appended.
    case checkpoint
    /// Adds or replaces the member (`json`: its JSON) and replaces its topic rows with its topics.
    case putMember(Member, json: String)
    /// Removes the member and its topic rows.
    case removeMember(RunID)
    /// Removes the member's lease, if any.
    case removeLease(RunID)
    /// Adds or replaces the message's row: its latest state (`json`), status, deadline, and the
    /// seq of the record being appended (the claim queue's order).
    case putMessage(StoredMessage, json: String)
    /// Removes message `id`'s claim-queue entries under `keys` (``ClaimQueue``) at the position
    /// its message row holds before this record's ``putMessage(_:json:)`` (entries not there are
    /// no error). Comes before that change.
    case dequeue(MessageID, keys: [String])
    /// Adds message `id`'s claim-queue entries under `keys` at its position after this record:
    /// `rank` and the seq of the record being appended (entries already there stay).
    case enqueue(MessageID, keys: [String], rank: Int64)
    /// Adds one inbox row per run: the record being appended delivered the message to them.
    case deliver(MessageID, to: [RunID])
    /// Adds a dependency-index row for each of `dependencies` that message `id` waits for (rows
    /// already there stay as they are).
    case addDependencies(MessageID, on: [MessageID])
    /// Removes message `id`'s dependency-index rows, one for each of `dependencies` (its whole
    /// ``Message/after``; rows not there are no error).
    case removeDependencies(MessageID, on: [MessageID])
    /// Adds or replaces the wake's row: its latest state (`json`), status, deadline and seq.
    case putWake(StoredWake, json: String)
}
