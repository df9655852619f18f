import AgentPool

/// A message address as an agent writes it: `run:R`, `agent:A`, `topic:T` or `pool`, the
/// spelling of the CLI's `--to`.
enum AddressText {
    /// The address `text` names in pool `poolID`; nil for anything else, an empty id included.
    static func parse(_ text: String, pool poolID: PoolID) -> Address? {
        if text == "pool" { return .pool(poolID) }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        switch text[..<colon] {
        case "run": return .run(id)
        case "agent": return .agent(id)
        case "topic": return .topic(id)
        default: return nil
        }
    }

    /// `target` spelled as ``parse(_:pool:)`` reads it.
    static func spell(_ target: AddressTarget) -> String {
        switch target {
        case .run(let id): "run:\(id)"
        case .agent(let id): "agent:\(id)"
        case .topic(let id): "topic:\(id)"
        case .pool: "pool"
        }
    }
}
