/// The projection rules: what appending a record does to a pool's projections. The one place
/// they are written; every backend applies their output (``ProjectionChange``) as it is.
enum ProjectionRules {
    /// The changes that `payload`, about to be appended, makes to the projections.
    ///
    /// - Parameters:
    ///   - inner: the payload's inner object's JSON (``RecordCodec/Encoded/inner``).
    ///   - previous: the message's state before this record (nil for a new message); asked
    ///     for every `run_message` record that is not `accepted`.
    ///   - claimHeld: whether the message's claim is `held`; asked only for a message that was
    ///     `delivered` and stays so (a message delivered for the first time was never claimed).
    static func changes(for payload: RecordPayload, inner: String?,
                        previous: (MessageID) throws -> StoredMessage?,
                        claimHeld: (MessageID) throws -> Bool) rethrows -> [ProjectionChange] {
        switch payload {
        case .poolOpened:
            return []
        case .poolCreated:
            return [.markCreated]
        case .checkpoint:
            return [.checkpoint]
        case .memberJoined(let member):
            return [.putMember(member, json: inner ?? "")]
        case .memberLeft(let member, _):
            // A member that left holds no lease: it cannot expire a second time.
            return [.removeMember(member.runID), .removeLease(member.runID)]
        case .runMessage(let stored):
            let id = stored.message.messageID
            // An `accepted` record never follows a delivered one (a new message, or one held back
            // that still waits): nothing to look up.
            let before = stored.receipt.status == .accepted ? nil : try previous(id)
            let wasDelivered = before?.receipt.status == .delivered
            var changes: [ProjectionChange] = []
            // The claim queue (``ClaimQueue``): entries leave at the old position, before the
            // message row moves on, and come back at the new one unless a live claim holds it.
            if let before, wasDelivered { changes.append(.dequeue(id, keys: ClaimQueue.keys(of: before))) }
            // Inbox rows are written on the transition into `delivered` only: a later delivered
            // record of the same message (a reply counted) delivers nothing new.
            if stored.receipt.status == .delivered, !wasDelivered {
                changes.append(.deliver(id, to: stored.receipt.deliveredTo.normalizedIDs()))
            }
            changes.append(.putMessage(stored, json: inner ?? ""))
            let keys = ClaimQueue.keys(of: stored)
            if !keys.isEmpty, !(try wasDelivered && claimHeld(id)) {
                changes.append(.enqueue(id, keys: keys, rank: ClaimQueuePosition(priority: stored.message.priority, seq: 0).rank))
            }
            // The dependency index (``PoolReader/dependents(of:)``): rows while a message is
            // accepted and waits, none once it moved on. Last, after the message's row.
            if stored.receipt.status == .accepted, !stored.receipt.waitingFor.isEmpty {
                changes.append(.addDependencies(id, on: stored.receipt.waitingFor.normalizedIDs()))
            } else if stored.receipt.status != .accepted, !stored.message.after.isEmpty, before?.receipt.status == .accepted {
                changes.append(.removeDependencies(id, on: stored.message.after.normalizedIDs()))
            }
            return changes
        case .wake(let stored):
            return [.putWake(stored, json: inner ?? "")]
        }
    }
}
