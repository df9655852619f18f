/// Addresses as people and models type them: `run:R`, `agent:A`, `topic:T` or `pool` — the one
/// spelling of the CLI's `--to` / `--from` and of the MCP tools' `to` / `from`.
extension AddressTarget {
    /// The target `text` spells, `pool` naming `poolID`; nil for anything else, an empty id
    /// included. Ids are not validated here: the call that uses the address does that.
    package init?(spelled text: String, pool poolID: PoolID) {
        if text == "pool" { self = .pool(poolID); return }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        switch text[..<colon] {
        case "run": self = .run(id)
        case "agent": self = .agent(id)
        case "topic": self = .topic(id)
        default: return nil
        }
    }

    /// This target as ``init(spelled:pool:)`` reads it (a pool target is `pool`, whatever its id).
    package var spelled: String {
        switch self {
        case .run(let id): "run:\(id)"
        case .agent(let id): "agent:\(id)"
        case .topic(let id): "topic:\(id)"
        case .pool: "pool"
        }
    }
}
