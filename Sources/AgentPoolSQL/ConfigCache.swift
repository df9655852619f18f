import AgentPool


/// Decoded pool configs by their stored JSON: a config is written once per pool and read by every
/// transaction, so decoding it each time would be the costliest step of a small write.
package final class ConfigCache: Sendable {
    /// An empty cache.
    package init() {}

    private let entries = Locked<[String: PoolConfig]>([:])

    /// The config stored as `json`, decoded at most once per distinct text.
    package func config(_ json: String, pool: PoolID) throws -> PoolConfig {
        if let cached = entries.withLock({ $0[json] }) { return cached }
        let config = try RecordCodec.decodeJSON(PoolConfig.self, from: json, what: "config of pool '\(pool)'")
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[json] = config
        }
        return config
    }
}
