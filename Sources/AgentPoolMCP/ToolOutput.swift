import MCP

/// What a tool returns: its result as structured content, and a one-line summary a model can
/// read without parsing it.
struct ToolOutput: Sendable {
    /// The structured result (a JSON object).
    var structured: Value
    /// A short text summary.
    var summary: String

    /// The MCP result: the summary as text content, the structured result beside it.
    /// - Throws: never in practice (re-encoding a `Value` as itself); the SDK's initializer is declared throwing.
    func result() throws -> CallTool.Result {
        try CallTool.Result(content: [.text(text: summary, annotations: nil, _meta: nil)], structuredContent: structured)
    }

    /// A tool error result (`isError: true`) whose only content is `text`: for every refused call,
    /// with exactly the text the CLI prints after `error: ` for the same `AgentPoolError`.
    static func error(_ text: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], isError: true)
    }
}

/// What a running tool may use beside its arguments: the client's progress token, and a way to
/// send progress notifications for it.
struct ToolContext: Sendable {
    /// The token the client asked progress under, if it did.
    var progressToken: ProgressToken?
    /// Sends a `notifications/progress` for `progressToken`; never throws (a lost notification
    /// does not fail the call).
    var notify: @Sendable (ProgressNotification.Parameters) async -> Void

    /// Reports `progress` (and `message`) when the client asked for progress; otherwise nothing.
    func progress(_ progress: Double, total: Double?, message: String) async {
        guard let progressToken else { return }
        await notify(.init(progressToken: progressToken, progress: progress, total: total, message: message))
    }
}
