/// The JSON of message bodies, encoded once per body rather than once per use.
///
/// A send checks a body's size and then stores it in two records (`accepted`, `delivered`) and
/// the message projection: three encodings of the same value, each through JSONEncoder, which
/// dominated the cost of a large body (a 64 KiB body took ~3 ms per send). The last bodies encoded
/// are kept with their JSON, so the later uses compare instead of encoding again.
enum BodyJSON {
    /// Bodies at least this large are remembered; smaller ones encode faster than they compare.
    static let rememberedFrom = 1024
    /// How many recent bodies are remembered (one per concurrent sender, roughly).
    static let capacity = 8

    private static let recent = Locked<[(value: JSONValue, json: String)]>([])

    /// `value`'s ``RecordCodec/encodeJSON(_:)`` text.
    static func json(_ value: JSONValue) throws(AgentPoolError) -> String {
        if let hit = recent.withLock({ entries in entries.first { $0.value == value }?.json }) { return hit }
        let json = try RecordCodec.encodeJSON(value)
        if json.utf8.count >= rememberedFrom {
            recent.withLock { entries in
                if entries.count >= capacity { entries.removeFirst() }
                entries.append((value, json))
            }
        }
        return json
    }
}
