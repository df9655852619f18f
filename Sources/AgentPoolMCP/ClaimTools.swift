import AgentPool
import MCP

/// The work-queue tools: `claim`, `complete`, `release`. The fencing token of a claim stays in
/// the store: the server reads this run's live claim when it completes or releases, so a model
/// never carries a token, and a restarted server with the same run id finishes what the run holds.
extension AgentSession {
    /// The claim lease when `claim` is given none: 60 s.
    static let defaultClaimLeaseMillis: Millis = 60_000

    /// `claim`: the oldest message delivered or queued to this run that nobody holds —
    /// addressed to `from` when given — held for `lease_ms`; `claimed: false` when there is none.
    func claim(_ arguments: ToolArguments) async throws -> ToolOutput {
        let fromText = try arguments.string("from")
        let queue = try fromText.map { text -> AddressTarget in
            guard let target = AddressTarget(spelled: text, pool: pool.poolID) else {
                throw arguments.invalid("from", "argument 'from' of tool 'claim' must be run:R, agent:A, topic:T or pool; got '\(text)'")
            }
            return target
        }
        let lease = try arguments.integer("lease_ms", in: 1...Int64(Int32.max)) ?? Self.defaultClaimLeaseMillis
        guard let claimed = try await pool.claimNext(runID, from: queue, leaseMillis: lease) else {
            return ToolOutput(structured: ["claimed": false], summary: "nothing to claim" + (fromText.map { " from \($0)" } ?? ""))
        }
        var object: [String: Value] = [
            "claimed": true,
            "message": try JSONBridge.value(MessageView(claimed.message, receipt: claimed.receipt)),
            "message_id": .string(claimed.message.messageID),
            "body": try claimed.message.body.map(JSONBridge.value) ?? .null,
            "expires_at": .int(Int(claimed.claim.expiresAt)),
            "attempt": .int(claimed.claim.expiredCount + 1),
        ]
        object["lease_ms"] = .int(Int(claimed.claim.leaseMillis))
        return ToolOutput(structured: .object(object),
                          summary: "claimed \(claimed.message.messageID)" + (claimed.message.body.map { ": " + JSONBridge.text($0) } ?? ""))
    }

    /// `complete`: finishes this run's claim on `message_id` — with `body`, as a reply to its
    /// sender; without, as `completed` — and closes the claim.
    func complete(_ arguments: ToolArguments) async throws -> ToolOutput {
        let messageID = try arguments.requiredString("message_id")
        let body = try arguments.json("body")
        if let body {
            let receipt = try await answer(messageID, body: body)
            return ToolOutput(structured: try receiptValue(receipt, body: body, replyTo: messageID),
                              summary: "completed \(messageID) with reply \(receipt.messageID)")
        }
        let receipt = try await pool.complete(messageID, run: runID, token: try await heldToken(messageID) ?? 0)
        return ToolOutput(structured: try receiptValue(receipt, body: nil), summary: "completed \(messageID): \(receipt.status.rawValue)")
    }

    /// `release`: gives this run's claim on `message_id` back, claimable again at once or after
    /// `retry_after_ms`.
    func release(_ arguments: ToolArguments) async throws -> ToolOutput {
        let messageID = try arguments.requiredString("message_id")
        let retryAfter = try arguments.integer("retry_after_ms", in: 0...DurationLimits.maximumMillis) ?? 0
        let claim = try await pool.release(messageID, run: runID, token: try await heldToken(messageID) ?? 0, retryAfterMillis: retryAfter)
        return ToolOutput(structured: ["message_id": .string(messageID), "body": .null, "status": .string(claim.status.rawValue)],
                          summary: "released \(messageID)")
    }
}
