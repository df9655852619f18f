/// The projection rules: what appending a record does to a pool's projections. The one place
/// they are written; every backend applies their output (``ProjectionChange``) as it is.
enum ProjectionRules {
    /// The changes that `payload`, about to be appended, makes to the projections.
    ///
    /// - Parameters:
    ///   - inner: the payload's inner object's JSON (``RecordCodec/Encoded/inner``).
    ///   - previousStatus: the message's status before this record (nil for a new message);
    ///     asked only for a `run_message` record that is `delivered`, or that leaves `accepted`
    ///     for a message that waits for others.
    static func changes(for payload: RecordPayload, inner: String?,
                        previousStatus: (MessageID) throws -> MessageStatus?) rethrows -> [ProjectionChange] {
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
            var changes: [ProjectionChange] = []
            // Inbox rows are written on the transition into `delivered` only: a later delivered
            // record of the same message (a reply counted) delivers nothing new.
            if stored.receipt.status == .delivered, try previousStatus(id) != .delivered {
                changes.append(.deliver(id, to: stored.receipt.deliveredTo.normalizedIDs()))
            }
            changes.append(.putMessage(stored, json: inner ?? ""))
            // The dependency index (``PoolReader/dependents(of:)``): rows while a message is
            // accepted and waits, none once it moved on. Last, after the message's row.
            if stored.receipt.status == .accepted, !stored.receipt.waitingFor.isEmpty {
                changes.append(.addDependencies(id, on: stored.receipt.waitingFor.normalizedIDs()))
            } else if stored.receipt.status != .accepted, !stored.message.after.isEmpty, try previousStatus(id) == .accepted {
                changes.append(.removeDependencies(id, on: stored.message.after.normalizedIDs()))
            }
            return changes
        case .wake(let stored):
            return [.putWake(stored, json: inner ?? "")]
        }
    }
}
