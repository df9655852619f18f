/// Any JSON value; used for free-form fields such as a message's `correlation`.
public enum JSONValue: Hashable, Sendable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value: a number is `integer` when it decodes as `Int64`, else `number`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Encodes the value back as the JSON it came from.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as it reads back once stored: a whole `number` within 64 bits becomes the
    /// `integer` its JSON decodes to (`1.0` is stored as `1`, `-0.0` as `0`), in every nested
    /// array and object. Two values are the same JSON exactly when their canonical forms are
    /// equal, so an identical retry is recognised whatever spelling of a number it came with.
    public var canonical: JSONValue {
        switch self {
        case .number(let value):
            // Exactly the doubles that convert to Int64 without loss (2^63 itself does not).
            if value.rounded(.towardZero) == value, value >= -0x1p63, value < 0x1p63 { return .integer(Int64(value)) }
            return self
        case .array(let items): return .array(items.map(\.canonical))
        case .object(let fields): return .object(fields.mapValues(\.canonical))
        default: return self
        }
    }
}
