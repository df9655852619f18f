/// A wake filter as the store evaluates it: normalized, scoped to the members whose
/// policy refs satisfy the pool's, envelope-only per the wake policy, with a stable fingerprint.
package struct CompiledFilter: Codable, Hashable, Sendable {
    /// The normalized filter.
    package var filter: EventFilter
    /// Runs whose events the filter may see: when the pool has policy refs, the members holding
    /// all of them at registration, sorted; nil (every run) when the pool has none.
    package var scopeRuns: [RunID]?
    /// Whether only envelope fields are matched.
    package var envelopeOnly: Bool
    /// A stable hash of the fields above (FNV-1a 64, hex).
    package var fingerprint: String

    /// Compiles `filter` against the pool's current `members` and `config`.
    package static func compile(_ filter: EventFilter, members: [Member], config: PoolConfig) -> CompiledFilter {
        let normalized = filter.normalized()
        let required = Set(config.policyRefs)
        let scope = required.isEmpty ? nil : members
            .filter { required.isSubset(of: $0.policyRefs) }
            .map(\.runID)
            .normalizedIDs()
        let envelopeOnly = config.wakePolicy.envelopeOnly
        var hasher = FNV1a64()
        let facets = [("s", normalized.sourceRuns.values), ("k", normalized.kindStrings), ("t", normalized.targets.values),
                      ("m", normalized.messageIDs.values)]
        for (name, values) in facets {
            hasher.combine(name)
            if let values { hasher.combine(values.count); values.forEach { hasher.combine($0) } } else { hasher.combine(-1) }
        }
        if let scope { hasher.combine(scope.count); scope.forEach { hasher.combine($0) } } else { hasher.combine(-1) }
        hasher.combine(envelopeOnly ? "e" : "f")
        return CompiledFilter(filter: normalized, scopeRuns: scope, envelopeOnly: envelopeOnly, fingerprint: hasher.hex)
    }

    enum CodingKeys: String, CodingKey {
        case filter, scopeRuns = "scope_runs", envelopeOnly = "envelope_only", fingerprint
    }
}

// In an extension, so that the memberwise initializer `compile` uses is still synthesized.
extension CompiledFilter {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        filter = try container.decodeIfPresent(EventFilter.self, forKey: .filter) ?? EventFilter()
        scopeRuns = try container.decodeIfPresent([RunID].self, forKey: .scopeRuns)
        envelopeOnly = try container.decodeIfPresent(Bool.self, forKey: .envelopeOnly) ?? true
        fingerprint = try container.decodeIfPresent(String.self, forKey: .fingerprint) ?? ""
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(filter, forKey: .filter)
        try container.encodeIfPresent(scopeRuns, forKey: .scopeRuns)
        try container.encode(envelopeOnly, forKey: .envelopeOnly)
        try container.encode(fingerprint, forKey: .fingerprint)
    }
}

/// 64-bit FNV-1a: stable across processes and platforms, unlike `Hasher`.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine(_ string: String) {
        for byte in string.utf8 { mix(byte) }
        mix(0)
    }

    mutating func combine(_ int: Int) {
        var number = UInt64(bitPattern: Int64(int))
        for _ in 0..<8 { mix(UInt8(number & 0xff)); number >>= 8 }
    }

    private mutating func mix(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
