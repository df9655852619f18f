/// Encodes a collection only when it is non-empty, and decodes a missing key as empty: the record
/// format omits empty lists when writing and accepts them absent when reading.
///
/// Internal, so each list users see is a computed property over an internal wrapped `…Storage`
/// property that the coding keys name with the list's key (a property users see cannot have an
/// internal wrapper).
@propertyWrapper
struct OmittedWhenEmpty<Value>: Hashable, Sendable, Codable
where Value: Collection & ExpressibleByArrayLiteral & Codable & Hashable & Sendable {
    /// The wrapped collection.
    var wrappedValue: Value

    /// Wraps `wrappedValue`.
    init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        wrappedValue = try Value(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try wrappedValue.encode(to: encoder)
    }
}

extension KeyedDecodingContainer {
    /// A missing or `null` key decodes as an empty collection.
    func decode<V>(_ type: OmittedWhenEmpty<V>.Type, forKey key: Key) throws -> OmittedWhenEmpty<V> {
        try decodeIfPresent(type, forKey: key) ?? OmittedWhenEmpty(wrappedValue: [])
    }
}

extension KeyedEncodingContainer {
    /// An empty collection is not written.
    mutating func encode<V>(_ value: OmittedWhenEmpty<V>, forKey key: Key) throws {
        if !value.wrappedValue.isEmpty { try encode(value.wrappedValue, forKey: key) }
    }
}
