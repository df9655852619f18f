import AgentPool
import Foundation
import MCP

/// The messaging tools: `send`, `reply`, `cancel`. Each writes through `PoolHandle` in one
/// transaction; a refused call writes nothing.
extension AgentSession {
    /// `send`: a message from this run to `to`, with `body`; queued work with `queue`; a reply
    /// expected with `expect_reply` (and `timeout_ms` as its deadline); held back `delay_ms`
    /// from now or until the messages of `after` are responded; claimed by `priority`. The message id is the
    /// idempotency key `key` when given — sending the same key again returns the first receipt
    /// and writes nothing — else a fresh UUID for both.
    func send(_ arguments: ToolArguments) async throws -> ToolOutput {
        let toText = try arguments.requiredString("to")
        guard let target = AddressTarget(spelled: toText, pool: pool.poolID) else {
            throw arguments.invalid("to", "argument 'to' of tool 'send' must be run:R, agent:A, topic:T or pool; got '\(toText)'")
        }
        let body = try arguments.requiredJSON("body")
        let queued = try arguments.bool("queue", default: false)
        let expectReply = try arguments.bool("expect_reply", default: false)
        let timeout = try arguments.integer("timeout_ms", in: 1...Int64(Int32.max))
        let key = try arguments.string("key") ?? "mcp-\(UUID().uuidString.lowercased())"
        let delay = try arguments.integer("delay_ms", in: 0...DurationLimits.maximumMillis)
        let priority = try arguments.integer("priority", in: Int64(Message.priorityRange.lowerBound)...Int64(Message.priorityRange.upperBound))
        let after = try arguments.strings("after")
        let contract = expectReply || timeout != nil ? ResponseContract(expectedResponses: expectReply ? 1 : nil, timeoutMillis: timeout) : nil
        let message = Message(messageID: key, from: runID, to: Address(target: target), body: body, idempotencyKey: key,
                              responseContract: contract, queued: queued,
                              notBeforeMillis: delay.map { pool.store.clock.nowMillis() + $0 }, priority: Int(priority ?? 0), after: after)
        let receipt = try await pool.send(message)
        var summary = "sent \(receipt.messageID) to \(toText): \(receipt.status.rawValue)"
        if !receipt.deliveredTo.isEmpty { summary += " to \(receipt.deliveredTo.joined(separator: ", "))" }
        if receipt.reason == "no_recipient" { summary += " (no member matches \(toText); send it with queue: true to wait for a worker)" }
        return ToolOutput(structured: try receiptValue(receipt, body: body), summary: summary)
    }

    /// `reply`: answers `message_id` with `body`, from this run to the original's sender. For
    /// a message this run claimed, the claim's token is presented by the server.
    func reply(_ arguments: ToolArguments) async throws -> ToolOutput {
        let originalID = try arguments.requiredString("message_id")
        let body = try arguments.requiredJSON("body")
        let receipt = try await answer(originalID, body: body)
        return ToolOutput(structured: try receiptValue(receipt, body: body, replyTo: originalID),
                          summary: "replied \(receipt.messageID) to \(originalID): \(receipt.status.rawValue)")
    }

    /// `cancel`: cancels `message_id` unless its status is final (then its receipt is returned
    /// and nothing is written).
    func cancel(_ arguments: ToolArguments) async throws -> ToolOutput {
        let messageID = try arguments.requiredString("message_id")
        let receipt = try await pool.cancel(messageID)
        return ToolOutput(structured: try receiptValue(receipt, body: nil), summary: "\(messageID) is \(receipt.status.rawValue)")
    }

    /// Replies to `originalID` with `body`, addressed to its sender, with this run's live claim
    /// token on it when it holds one.
    /// - Throws: `notFound` for an unknown original; whatever `PoolHandle.reply` throws.
    func answer(_ originalID: MessageID, body: JSONValue) async throws -> Receipt {
        let pool = self.pool
        _ = try await pool.receipt(originalID)  // the library's notFound, before anything else
        let original = try await pool.store.read(pool.poolID) { try $0.message(originalID) }
        let token = try await heldToken(originalID)
        let id = "mcp-\(UUID().uuidString.lowercased())"
        let reply = Message(messageID: id, from: runID, to: .run(original?.message.from ?? runID), body: body,
                            idempotencyKey: id, replyTo: originalID)
        return try await pool.reply(to: originalID, with: reply, claimToken: token)
    }

    /// The token of this run's claim on `messageID` when it holds one; nil when the message was
    /// never claimed; otherwise its current token, which the library refuses for this run
    /// (`staleClaim`), with its own text.
    func heldToken(_ messageID: MessageID) async throws -> Int64? {
        try await pool.claim(messageID)?.token
    }

    /// A receipt as a result: `message_id`, `body`, status, recipients, what it waits for, reason,
    /// cursor.
    func receiptValue(_ receipt: Receipt, body: JSONValue?, replyTo: MessageID? = nil) throws -> Value {
        var object: [String: Value] = [
            "message_id": .string(receipt.messageID),
            "body": try body.map(JSONBridge.value) ?? .null,
            "status": .string(receipt.status.rawValue),
            "delivered_to": .array(receipt.deliveredTo.map(Value.string)),
        ]
        if !receipt.respondedBy.isEmpty { object["responded_by"] = .array(receipt.respondedBy.map(Value.string)) }
        if !receipt.waitingFor.isEmpty { object["waiting_for"] = .array(receipt.waitingFor.map(Value.string)) }
        if let reason = receipt.reason { object["reason"] = .string(reason) }
        if let cursor = receipt.cursor { object["cursor"] = .int(Int(cursor)) }
        if let replyTo { object["reply_to"] = .string(replyTo) }
        return .object(object)
    }
}
