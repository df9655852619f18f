import AgentPool
import Foundation
import MCP

/// Conversions between the SDK's `Value` and this package's `JSONValue` and Codable types, through
/// their JSON text: what one side encodes is exactly what the other reads.
enum JSONBridge {
    /// `value` as a `JSONValue`; the SDK's data values become their `data:` URL strings, as they
    /// travel on the wire.
    static func jsonValue(_ value: Value) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// `value` (snake_case keys, as the CLI prints it) as an SDK `Value`.
    static func value<T: Encodable>(_ value: T) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
    }

    /// `value` decoded as `T` from its JSON text; nil when it is not a `T`.
    static func decode<T: Decodable>(_ type: T.Type, from value: Value) -> T? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// `value` as compact JSON text with sorted keys, for text summaries and resource contents.
    static func text<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
