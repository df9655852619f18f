import AgentPool
import MCP

/// One tool the server offers: its MCP description (name, JSON Schema of its input) and what
/// runs when it is called.
struct AgentTool: Sendable {
    /// The tool as `tools/list` shows it.
    let tool: Tool
    /// The names of its arguments, the schema's properties: any other is refused.
    let arguments: [String]
    /// Runs the tool for `session`.
    let run: @Sendable (AgentSession, ToolArguments, ToolContext) async throws -> ToolOutput
}

/// The tools of `agentpool mcp`, in the order `tools/list` gives them.
enum ToolCatalog {
    /// Every tool.
    static let tools: [AgentTool] = [
        make("send", "Send a message from this run. `to` is run:R, agent:A, topic:T or pool; `body` is any JSON. With queue: true it is a task for a topic that one worker claims. expect_reply asks for one reply (timeout_ms is its deadline). The same key again returns the first receipt and sends nothing.",
             required: ["to", "body"], [
                "to": string("run:R, agent:A, topic:T or pool"),
                "body": ["description": "The content: any JSON value but null."],
                "queue": boolean("Queue it as work: claimable by any member the address selects at claim time."),
                "expect_reply": boolean("Expect one reply; the message becomes responded when it comes."),
                "timeout_ms": integer("Response deadline in ms after delivery (then the message is timed_out).", minimum: 1),
                "key": string("Idempotency key, also the message id; generated when absent."),
                "delay_ms": integer("Hold it back this many ms: recorded now, delivered (or claimable) from then on.", minimum: 0),
                "priority": integer("Claim priority, -1000000 to 1000000: higher is claimed first (default 0).", minimum: -1_000_000, maximum: 1_000_000),
                "after": strings("Message ids this one waits for: delivered once all are responded; failed if one fails or is cancelled."),
             ]) { session, arguments, _ in try await session.send(arguments) },
        make("reply", "Reply to a message delivered to this run (or claimed by it), to its sender.",
             required: ["message_id", "body"], [
                "message_id": string("The message answered."),
                "body": ["description": "The reply: any JSON value but null."],
             ]) { session, arguments, _ in try await session.reply(arguments) },
        make("cancel", "Cancel a message unless it is already final.", required: ["message_id"], [
                "message_id": string("The message to cancel."),
             ]) { session, arguments, _ in try await session.cancel(arguments) },
        make("inbox", "New messages for this run since its last acknowledged cursor, oldest first (at most 100); acknowledges them unless ack is false.",
             required: [], [
                "ack": boolean("Acknowledge what is returned (default true), so it is not shown again."),
             ]) { session, arguments, _ in try await session.inbox(arguments) },
        make("wait", "Block until a message reaches this run (or, with filter, a matching event is recorded; with any_of, an event matching any of the filters, reporting which as matched_filter) or timeout_ms passes (default 30000, at most 600000). Returns what arrived and acknowledges it, or timed_out: true.",
             required: [], [
                "timeout_ms": integer("How long to wait, in ms (default 30000, at most 600000).", minimum: 0, maximum: 600_000),
                "filter": eventFilterSchema("Wait for an event instead: every given facet must match."),
                "any_of": [
                    "type": "array", "minItems": 1, "maxItems": .int(WakeCondition.maxAnyOf),
                    "description": "Wait for the first event matching any of these filters (not with filter); the result's matched_filter is its index.",
                    "items": eventFilterSchema("One alternative: every given facet must match."),
                ],
                "since": integer("With filter or any_of: only events after this cursor (default: the pool's cursor now).", minimum: 0),
             ]) { try await $0.wait($1, context: $2) },
        make("claim", "Claim the oldest task for this run that nobody holds (from an address such as topic:T), for lease_ms; the server keeps the claim's token.",
             required: [], [
                "from": string("Only tasks addressed here: run:R, agent:A, topic:T or pool."),
                "lease_ms": integer("How long the claim lasts without completion (default 60000).", minimum: 1),
             ]) { session, arguments, _ in try await session.claim(arguments) },
        make("complete", "Complete a task this run claimed; with body, the body is the reply to its sender.",
             required: ["message_id"], [
                "message_id": string("The claimed task."),
                "body": ["description": "An optional result: any JSON value but null, sent as the reply."],
             ]) { session, arguments, _ in try await session.complete(arguments) },
        make("release", "Give a claimed task back, claimable again at once (or after retry_after_ms).", required: ["message_id"], [
                "message_id": string("The claimed task."),
                "retry_after_ms": integer("Claimable again only after this many ms (default 0).", minimum: 0),
             ]) { session, arguments, _ in try await session.release(arguments) },
        make("members", "Who is in the pool: run, agent, topics, and whether the lease is live or ran out.",
             required: [], [:]) { session, arguments, _ in try await session.members(arguments) },
        make("status", "This run's pool: its acknowledged cursor, the pool's cursor, unread inbox count, held claims.",
             required: [], [:]) { session, arguments, _ in try await session.status(arguments) },
        make("history", "The pool's most recent records, oldest first (default 20, at most 1000).", required: [], [
                "limit": integer("How many records (default 20, at most 1000).", minimum: 1, maximum: 1000),
             ]) { session, arguments, _ in try await session.history(arguments) },
    ]

    /// The tool named `name`, if the server has it.
    static func tool(named name: String) -> AgentTool? { tools.first { $0.tool.name == name } }

    /// A tool whose input schema is an object of `properties`, `required` ones required and no
    /// others allowed; the arguments it accepts are the properties' names.
    private static func make(_ name: String, _ description: String, required: [String], _ properties: [String: Value],
                             _ run: @escaping @Sendable (AgentSession, ToolArguments, ToolContext) async throws -> ToolOutput) -> AgentTool {
        let schema: Value = [
            "type": "object", "additionalProperties": false,
            "properties": .object(properties), "required": .array(required.map(Value.string)),
        ]
        return AgentTool(tool: Tool(name: name, description: description, inputSchema: schema),
                         arguments: properties.keys.sorted(), run: run)
    }

    /// The schemas of one property: a string, a boolean, a list of strings, a bounded integer.
    private static func string(_ description: String) -> Value { ["type": "string", "description": .string(description)] }
    private static func boolean(_ description: String) -> Value { ["type": "boolean", "description": .string(description)] }
    /// The schema of an event filter (the `wait` tool's `filter` and each `any_of` item).
    private static func eventFilterSchema(_ description: String) -> Value {
        [
            "type": "object", "additionalProperties": false, "description": .string(description),
            "properties": [
                "kinds": strings("Event kinds, e.g. run_message_delivered, run_message_responded, agent_pool_run_joined, agent_pool_run_left."),
                "source_runs": strings("The member, sender or waiting run."),
                "targets": strings("Recipients of a message."),
                "message_ids": strings("Message ids."),
            ],
        ]
    }
    private static func strings(_ description: String) -> Value {
        ["type": "array", "items": ["type": "string"], "description": .string(description)]
    }
    private static func integer(_ description: String, minimum: Int, maximum: Int? = nil) -> Value {
        var schema: [String: Value] = ["type": "integer", "minimum": .int(minimum), "description": .string(description)]
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }
}
