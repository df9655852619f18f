import Foundation

/// A pool id: names a coordination space.
///
/// Every id below is valid when it is non-empty, at most 256 UTF-8 bytes long, free of control
/// characters and in Unicode Normalization Form C; a call given another throws `invalidInput`
/// naming the field and writes nothing.
///
/// Why NFC: an id is compared byte for byte by the databases and canonically by Swift (`"café"`
/// composed and decomposed are one `String` to Swift, two keys to SQLite). Accepting only NFC
/// makes the two agree: two NFC strings are canonically equal exactly when their bytes are.
/// Normalize an id from elsewhere (a macOS file name is NFD) with
/// `precomposedStringWithCanonicalMapping` before passing it. A ``ContentRef`` is not an id and
/// may be in any form.
public typealias PoolID = String
/// A run id: one execution of an agent.
public typealias RunID = String
/// An agent id: the identity behind one or more runs.
public typealias AgentID = String
/// A topic that members subscribe to and messages can address.
public typealias TopicID = String
/// A message id, unique per pool.
public typealias MessageID = String
/// An idempotency key: a repeated write with the same key is deduplicated.
public typealias IdempotencyKey = String
/// A wake-condition id, unique per pool.
public typealias ConditionID = String
/// A policy reference held by members and carried by messages.
public typealias PolicyRef = String
/// A reference to message content stored elsewhere.
public typealias ContentRef = String
/// A per-pool sequence number: the pool's cursor after a record. Starts at 1, gapless.
public typealias Seq = Int64
/// UTC wall-clock time in milliseconds since 1970.
public typealias Millis = Int64

/// Validation of identifiers at the API boundary.
package enum IDValidation {
    /// The largest accepted id, in UTF-8 bytes.
    package static let maximumUTF8Length = 256

    /// Returns normally when `value` is a valid id; throws `invalidInput` naming `field` otherwise.
    /// `requireNFC` is false only for values that are not identities (a content reference).
    package static func check(_ value: String, field: String, requireNFC: Bool = true) throws(AgentPoolError) {
        if value.isEmpty {
            throw .invalidInput(field: field, "\(field) must not be empty")
        }
        if value.utf8.count > maximumUTF8Length {
            throw .invalidInput(field: field, "\(field) is \(value.utf8.count) UTF-8 bytes; at most \(maximumUTF8Length) are allowed")
        }
        // Unicode's control category (Cc) is exactly U+0000–U+001F and U+007F–U+009F: a range
        // test, without the Unicode property tables (measured at ~2 % of a store append).
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            throw .invalidInput(field: field, "\(field) must not contain control characters")
        }
        if requireNFC, !isNFC(value) {
            throw .invalidInput(field: field,
                "\(field) is not in Unicode NFC (it has decomposed characters); normalize it, e.g. with precomposedStringWithCanonicalMapping")
        }
    }

    /// Whether `value` is in Normalization Form C. ASCII (every byte below 0x80) always is: only
    /// other text is normalized to compare.
    package static func isNFC(_ value: String) -> Bool {
        guard value.utf8.contains(where: { $0 >= 0x80 }) else { return true }
        return value.utf8.elementsEqual(value.precomposedStringWithCanonicalMapping.utf8)
    }

    /// Checks every element of `values`, naming the element's index in the error.
    package static func check(_ values: [String], field: String) throws(AgentPoolError) {
        for (index, value) in values.enumerated() {
            try check(value, field: "\(field)[\(index)]")
        }
    }
}

/// The one ordering used for ids everywhere (snapshots, recipients, filters): byte order of the
/// UTF-8 encoding, which is also SQLite's BINARY collation, so that every backend sorts alike.
@inlinable
func idPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

extension Sequence where Element == String {
    /// Sorted by ``idPrecedes(_:_:)`` with duplicates removed.
    func normalizedIDs() -> [String] {
        var result: [String] = []
        for value in Set(self).sorted(by: idPrecedes) { result.append(value) }
        return result
    }
}
