import AgentPool
import MCP

/// The arguments of one tool call, read field by field: every failure is an `invalidInput`
/// `AgentPoolError` naming the tool and the field, raised before the call touches the store.
struct ToolArguments: Sendable {
    /// The tool being called, for error texts.
    let tool: String
    /// The arguments as the client sent them.
    let values: [String: Value]

    /// The arguments of `tool`, which takes exactly `accepted`.
    /// - Throws: `invalidInput` naming the first argument the tool does not take.
    init(tool: String, values: [String: Value]?, accepted: [String]) throws {
        self.tool = tool
        self.values = values ?? [:]
        if let unknown = self.values.keys.sorted().first(where: { !accepted.contains($0) }) {
            let takes = accepted.isEmpty ? "no arguments" : accepted.joined(separator: ", ")
            throw invalid(unknown, "tool '\(tool)' has no argument '\(unknown)'; it takes \(takes)")
        }
    }

    /// The string `name`, or nil when absent or null.
    /// - Throws: `invalidInput` when it is present with another type.
    func string(_ name: String) throws -> String? {
        guard let value = present(name) else { return nil }
        guard case .string(let text) = value else { throw typeError(name, "a string") }
        return text
    }

    /// The string `name`.
    /// - Throws: `invalidInput` when it is missing or not a string.
    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name) else { throw missing(name) }
        return text
    }

    /// The boolean `name`, or `defaultValue` when absent.
    /// - Throws: `invalidInput` when it is present with another type.
    func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let value = present(name) else { return defaultValue }
        guard case .bool(let flag) = value else { throw typeError(name, "true or false") }
        return flag
    }

    /// The integer `name`, or nil when absent; a JSON number with no fraction counts (`30000.0`).
    /// - Throws: `invalidInput` when it is not an integer or lies outside `range`.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = present(name) else { return nil }
        let number: Int64
        switch value {
        case .int(let int): number = Int64(int)
        case .double(let double) where double.rounded() == double && abs(double) < 9e15: number = Int64(double)
        default: throw typeError(name, "an integer")
        }
        guard range.contains(number) else {
            throw invalid(name, "argument '\(name)' of tool '\(tool)' must be between \(range.lowerBound) and \(range.upperBound); got \(number)")
        }
        return number
    }

    /// The list of strings `name`; empty when absent.
    /// - Throws: `invalidInput` when it is present and not a list of strings.
    func strings(_ name: String) throws -> [String] {
        guard let value = present(name) else { return [] }
        guard case .array(let items) = value else { throw typeError(name, "a list of strings") }
        return try items.map { item in
            guard case .string(let text) = item else { throw typeError(name, "a list of strings") }
            return text
        }
    }

    /// The JSON value `name`, any type but null; nil when absent.
    func json(_ name: String) throws -> JSONValue? {
        guard let value = present(name) else { return nil }
        return try JSONBridge.jsonValue(value)
    }

    /// The JSON value `name`, any type but null.
    /// - Throws: `invalidInput` when it is missing or null.
    func requiredJSON(_ name: String) throws -> JSONValue {
        guard let value = try json(name) else { throw missing(name) }
        return value
    }

    /// The raw value `name`; nil when absent or JSON null (a null argument counts as not given).
    func present(_ name: String) -> Value? {
        guard let value = values[name], value != .null else { return nil }
        return value
    }

    /// The error for a missing required argument.
    func missing(_ name: String) -> AgentPoolError {
        invalid(name, "tool '\(tool)' needs the argument '\(name)'")
    }

    /// The error for an argument of the wrong JSON type.
    func typeError(_ name: String, _ expected: String) -> AgentPoolError {
        invalid(name, "argument '\(name)' of tool '\(tool)' must be \(expected)")
    }

    /// An `invalidInput` error naming `field`, with `message`.
    func invalid(_ field: String, _ message: String) -> AgentPoolError {
        AgentPoolError(kind: .invalidInput, message: message, field: field)
    }
}
