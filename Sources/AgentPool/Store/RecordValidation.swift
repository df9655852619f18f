/// The checks the API makes on what a caller hands it, applied to a record that arrives whole
/// (an import, a copy between backends, a seed database): a record the API would refuse to
/// write is refused here too, so no id, body or limit enters a store by the back door.
extension PoolRecord {
    /// Throws what the API would for this record's contents: `invalidInput` naming the pool, the
    /// seq and the field, when any id, list, duration, body or correlation is malformed, or a
    /// body exceeds `maxBodyBytes` (the pool's `message_policy.max_body_bytes`).
    package func validateAsTheAPIWould(maxBodyBytes: Int) throws(AgentPoolError) {
        do throws(AgentPoolError) {
            try IDValidation.check(poolID, field: "pool_id")
            try payload.validateAsTheAPIWould(maxBodyBytes: maxBodyBytes)
        } catch {
            guard error.kind == .invalidInput else { throw error }
            throw .invalidInput(field: error.field ?? "records",
                                "record seq \(seq) (\(kind.rawValue)) of pool '\(poolID)': \(error.message)")
        }
    }
}

extension RecordPayload {
    /// The API's checks on this payload; see ``PoolRecord/validateAsTheAPIWould(maxBodyBytes:)``.
    func validateAsTheAPIWould(maxBodyBytes: Int) throws(AgentPoolError) {
        switch self {
        case .poolOpened(let config): try config.validate()
        case .poolCreated: break
        case .memberJoined(let member), .memberLeft(let member, _): try member.validate()
        case .runMessage(let stored): try stored.validate(maxBodyBytes: maxBodyBytes)
        case .wake(let stored): try stored.validate()
        case .checkpoint(let snapshot):
            try snapshot.config.validate()
            for member in snapshot.members { try member.validate() }
            for stored in snapshot.messages { try stored.validate(maxBodyBytes: maxBodyBytes) }
            for stored in snapshot.wakes { try stored.validate() }
        }
    }
}

extension StoredMessage {
    /// The message's and the receipt's checks, and the body against `maxBodyBytes` unless nil.
    func validate(maxBodyBytes: Int?) throws(AgentPoolError) {
        try message.validate()
        guard receipt.messageID == message.messageID else {
            throw .invalidInput(field: "receipt.message_id", "receipt.message_id must equal message.message_id")
        }
        try IDValidation.check(receipt.deliveredTo, field: "receipt.delivered_to")
        try IDValidation.check(receipt.respondedBy, field: "receipt.responded_by")
        try IDValidation.check(receipt.waitingFor, field: "receipt.waiting_for")
        guard Set(receipt.waitingFor).isSubset(of: message.after) else {
            throw .invalidInput(field: "receipt.waiting_for", "receipt.waiting_for names messages that message.after does not")
        }
        if let body = message.body, let maxBodyBytes {
            try JSONLimits.checkSize(body, atMost: maxBodyBytes, field: "message.body", hint: "the pool's message_policy.max_body_bytes")
        }
    }
}

extension StoredWake {
    /// The condition's checks, a registration naming the condition's id and run, one compiled
    /// filter per alternative, and a matched alternative that exists.
    func validate() throws(AgentPoolError) {
        try condition.validate()
        guard registration.conditionID == condition.conditionID, registration.runID == condition.runID else {
            throw .invalidInput(field: "registration", "registration must name the condition's id and run")
        }
        guard compiledAnyOf.count == condition.anyOf.count else {
            throw .invalidInput(field: "compiled_any_of", "compiled_any_of must hold one compiled filter per condition.any_of filter")
        }
        if let matched = registration.matchedFilter, !condition.anyOf.indices.contains(matched) {
            throw .invalidInput(field: "registration.matched_filter", "matched_filter \(matched) names no filter of condition.any_of")
        }
    }
}
