import Foundation

/// The one JSON encoding of records and their parts, shared by every backend.
///
/// Keys are sorted so that the same value always gives the same bytes (exports compare equal).
package enum RecordCodec {
    /// A payload encoded for storage: the record JSON and, for kinds whose projection keeps the
    /// inner object (`member`, `config`, `stored`), that object's JSON, encoded only once.
    package struct Encoded: Sendable {
        /// The kind column.
        package var kind: RecordKind
        /// The full payload JSON, `{"<inner key>":…,"type":"<kind>"}`.
        package var payload: String
        /// The inner object's JSON, when the kind has one.
        package var inner: String?
    }

    /// Encodes `value` as compact JSON with sorted keys.
    package static func encodeJSON<T: Encodable>(_ value: T) throws(AgentPoolError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw .invalidInput(field: "record", "cannot encode \(T.self) as JSON: \(error)")
        }
    }

    /// `value`'s ``encodeJSON(_:)`` text, for a `description`; if it cannot be encoded (no model
    /// value fails), a line naming the type and the failure instead of throwing.
    package static func jsonDescription<T: Encodable>(of value: T) -> String {
        do { return try encodeJSON(value) } catch { return "<\(T.self) not encodable: \(error.message)>" }
    }

    /// Decodes JSON written by ``encodeJSON(_:)``; any failure is `corruptRecord` naming `what`.
    package static func decodeJSON<T: Decodable>(_ type: T.Type, from json: String, what: String) throws(AgentPoolError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(json.utf8))
        } catch let error as AgentPoolError {
            throw AgentPoolError.corruptRecord("\(what): \(error.message)")
        } catch {
            throw AgentPoolError.corruptRecord("\(what) is not valid \(T.self) JSON: \(describe(error))")
        }
    }

    /// The JSON of a whole record, byte for byte `encodeJSON(record)`, with the payload through
    /// ``encode(_:)`` (the hand-written message writer where it applies) and the envelope written
    /// directly: a record is encoded once per change for every follower (the console's stream).
    package static func encodeRecord(_ record: PoolRecord) throws(AgentPoolError) -> String {
        let payload = try encode(record.payload).payload
        // The sorted-keys order: "payload" < "pool_id" < "recorded_at" < "seq".
        return #"{"payload":\#(payload),"pool_id":\#(MessageJSONWriter.quoted(record.poolID)),"recorded_at":\#(record.recordedAt),"seq":\#(record.seq)}"#
    }

    /// Encodes a payload; the result's `payload` equals `encodeJSON(payload)` byte for byte.
    package static func encode(_ payload: RecordPayload) throws(AgentPoolError) -> Encoded {
        let kind = payload.kind
        let innerKey: String
        let inner: String
        switch payload {
        case .poolCreated:
            return Encoded(kind: kind, payload: #"{"type":"\#(kind.rawValue)"}"#, inner: nil)
        case .poolOpened(let config): innerKey = "config"; inner = try encodeJSON(config)
        case .memberLeft(let member, let reason?):
            // "member" < "reason" < "type": the sorted-keys order.
            let inner = try encodeJSON(member)
            return Encoded(kind: kind, payload: #"{"member":\#(inner),"reason":\#(try encodeJSON(reason)),"type":"\#(kind.rawValue)"}"#, inner: inner)
        case .memberJoined(let member), .memberLeft(let member, nil): innerKey = "member"; inner = try encodeJSON(member)
        case .runMessage(let stored):
            innerKey = "stored"
            if let fast = MessageJSONWriter.json(stored) { inner = fast } else { inner = try encodeJSON(stored) }
        case .wake(let stored): innerKey = "stored"; inner = try encodeJSON(stored)
        case .checkpoint(let snapshot): innerKey = "snapshot"; inner = try encodeJSON(snapshot)
        }
        // Every inner key sorts before "type", so this is what a sorted-keys encoder writes.
        return Encoded(kind: kind, payload: #"{"\#(innerKey)":\#(inner),"type":"\#(kind.rawValue)"}"#, inner: inner)
    }

    /// Decodes a stored payload and checks that its `"type"` equals the stored `kind` column.
    ///
    /// - Throws: `corruptRecord` for malformed JSON, an unknown kind, or a kind mismatch.
    package static func decode(kind: String, payload: String, pool: PoolID, seq: Seq) throws(AgentPoolError) -> RecordPayload {
        let where_ = "record \(seq) of pool '\(pool)'"
        guard RecordKind(rawValue: kind) != nil else {
            throw .corruptRecord("\(where_) has unknown kind '\(kind)'")
        }
        let decoded = try decodeJSON(RecordPayload.self, from: payload, what: where_)
        guard decoded.kind.rawValue == kind else {
            throw .corruptRecord("\(where_) has kind '\(kind)' but its payload says '\(decoded.kind.rawValue)'")
        }
        return decoded
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context),
             DecodingError.keyNotFound(_, let context),
             DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
