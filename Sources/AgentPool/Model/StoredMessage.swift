/// A message with its latest receipt: the payload of a `run_message` record.
public struct StoredMessage: Codable, Hashable, Sendable {
    /// The message as sent.
    public var message: Message
    /// Its latest receipt.
    public var receipt: Receipt

    /// Message and receipt normalized.
    package func normalized() -> StoredMessage {
        StoredMessage(message: message.normalized(), receipt: receipt.normalized())
    }

    /// Pairs a message with a receipt.
    package init(message: Message, receipt: Receipt) {
        self.message = message
        self.receipt = receipt
    }
}

extension StoredMessage {
    /// The deadline this message is swept at, if any (see ``PoolReader/dueMessages(at:limit:)``):
    /// while `delivered`, its response deadline and, for queued work, its expiry; while
    /// `accepted` (held back), its not-before once it waits for no other message, and its expiry.
    package var deadline: Millis? {
        if receipt.status == .accepted {
            let due = receipt.waitingFor.isEmpty ? message.notBeforeMillis : nil
            guard let expiry = message.expiresAtMillis else { return due }
            return min(expiry, due ?? expiry)
        }
        guard receipt.status == .delivered else { return nil }
        guard message.queued, let expiry = message.expiresAtMillis else { return receipt.responseDeadlineMillis }
        return min(expiry, receipt.responseDeadlineMillis ?? expiry)
    }

    /// Whether this is queued work whose expiry has passed at `now` (it becomes a dead letter).
    package func queueExpired(at now: Millis) -> Bool {
        guard message.queued, receipt.status == .delivered, let expiry = message.expiresAtMillis else { return false }
        return expiry <= now && expiry <= (receipt.responseDeadlineMillis ?? expiry)
    }

    /// Whether this message is held back at `now`: accepted, and not yet due or waiting for
    /// other messages.
    package func isHeldBack(at now: Millis) -> Bool {
        receipt.status == .accepted && (!receipt.waitingFor.isEmpty || (message.notBeforeMillis ?? now) > now)
    }
}
