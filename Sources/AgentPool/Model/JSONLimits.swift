/// The bounds every free-form JSON value a caller hands the store (a message's body and
/// correlation) must keep, checked before anything is written.
enum JSONLimits {
    /// The deepest nesting of arrays and objects accepted: 64 levels.
    static let maxDepth = 64

    /// Throws `invalidInput` naming `field` when `value` nests deeper than ``maxDepth``.
    static func checkDepth(_ value: JSONValue, field: String) throws(AgentPoolError) {
        if depth(of: value, limit: maxDepth + 1) > maxDepth {
            throw .invalidInput(field: field, "\(field) nests more than \(maxDepth) arrays or objects deep")
        }
    }

    /// Throws `invalidInput` naming `field` when `value` encodes to more than `limit` UTF-8 bytes;
    /// returns the encoded size otherwise.
    @discardableResult
    static func checkSize(_ value: JSONValue, atMost limit: Int, field: String, hint: String? = nil) throws(AgentPoolError) -> Int {
        let size = try BodyJSON.json(value).utf8.count
        if size > limit {
            throw .invalidInput(field: field, "\(field) is \(size) bytes as JSON; at most \(limit) are allowed"
                                + (hint.map { " (\($0))" } ?? ""))
        }
        return size
    }

    /// The nesting depth of `value` (a scalar is 0), counted no further than `limit`.
    private static func depth(of value: JSONValue, limit: Int) -> Int {
        guard limit > 0 else { return 0 }
        switch value {
        case .array(let items): return 1 + (items.lazy.map { depth(of: $0, limit: limit - 1) }.max() ?? 0)
        case .object(let fields): return 1 + (fields.values.lazy.map { depth(of: $0, limit: limit - 1) }.max() ?? 0)
        default: return 0
        }
    }
}
