import Foundation

/// The kind of a record; its raw value is both the `kind` column and the payload's `"type"` tag
/// (one source for both).
public enum RecordKind: String, Codable, Hashable, Sendable, CaseIterable {
    /// The pool's config; its first record.
    case poolOpened = "pool_opened"
    /// The pool was marked created.
    case poolCreated = "pool_created"
    /// A member was added or replaced.
    case memberJoined = "member_joined"
    /// A member was removed.
    case memberLeft = "member_left"
    /// A message's latest receipt.
    case runMessage = "run_message"
    /// A wake condition's latest registration.
    case wake = "wake"
    /// The pool's snapshot at this seq, written by compaction: records before it may
    /// be gone, and replaying from it gives the same state as replaying the full log.
    case checkpoint = "checkpoint"
}

/// The JSON payload of a record, tagged by `"type"`.
public enum RecordPayload: Hashable, Sendable, Codable {
    /// The pool's config; the first record of every pool.
    case poolOpened(PoolConfig)
    /// Marks the pool created.
    case poolCreated
    /// Adds or replaces a member.
    case memberJoined(Member)
    /// Removes a member; `reason` says why when the store removed it (`lease_expired`).
    case memberLeft(Member, reason: String? = nil)
    /// The latest receipt of a message.
    case runMessage(StoredMessage)
    /// The latest registration of a wake condition.
    case wake(StoredWake)
    /// The pool's whole state at this record's seq (its `cursor` is that seq); written by compaction.
    case checkpoint(Snapshot)

    /// The kind, derived from the case.
    public var kind: RecordKind {
        switch self {
        case .poolOpened: .poolOpened
        case .poolCreated: .poolCreated
        case .memberJoined: .memberJoined
        case .memberLeft: .memberLeft
        case .runMessage: .runMessage
        case .wake: .wake
        case .checkpoint: .checkpoint
        }
    }

    enum CodingKeys: String, CodingKey { case type, config, member, reason, stored, snapshot }

    /// Decodes by the `"type"` tag; an unknown tag is `corruptRecord`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        guard let kind = RecordKind(rawValue: type) else {
            throw AgentPoolError.corruptRecord("unknown record kind '\(type)'")
        }
        switch kind {
        case .poolOpened: self = .poolOpened(try container.decode(PoolConfig.self, forKey: .config))
        case .poolCreated: self = .poolCreated
        case .memberJoined: self = .memberJoined(try container.decode(Member.self, forKey: .member))
        case .memberLeft:
            self = .memberLeft(try container.decode(Member.self, forKey: .member),
                               reason: try container.decodeIfPresent(String.self, forKey: .reason))
        case .runMessage: self = .runMessage(try container.decode(StoredMessage.self, forKey: .stored))
        case .wake: self = .wake(try container.decode(StoredWake.self, forKey: .stored))
        case .checkpoint: self = .checkpoint(try container.decode(Snapshot.self, forKey: .snapshot))
        }
    }

    /// Writes the `"type"` tag and the case's fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.rawValue, forKey: .type)
        switch self {
        case .poolOpened(let config): try container.encode(config, forKey: .config)
        case .poolCreated: break
        case .memberJoined(let member): try container.encode(member, forKey: .member)
        case .memberLeft(let member, let reason):
            try container.encode(member, forKey: .member)
            try container.encodeIfPresent(reason, forKey: .reason)
        case .runMessage(let stored): try container.encode(stored, forKey: .stored)
        case .wake(let stored): try container.encode(stored, forKey: .stored)
        case .checkpoint(let snapshot): try container.encode(snapshot, forKey: .snapshot)
        }
    }
}

/// One appended log entry of a pool: its cursor, when it was recorded, and its payload.
public struct PoolRecord: Codable, Hashable, Sendable {
    /// The pool.
    public var poolID: PoolID
    /// The pool's cursor after this record: 1, 2, 3 … without gaps.
    public var seq: Seq
    /// UTC time the record was appended, in milliseconds.
    public var recordedAt: Millis
    /// What happened.
    public var payload: RecordPayload

    /// The payload's kind.
    public var kind: RecordKind { payload.kind }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", seq, recordedAt = "recorded_at", payload
    }

    /// Creates a record.
    package init(poolID: PoolID, seq: Seq, recordedAt: Millis, payload: RecordPayload) {
        self.poolID = poolID
        self.seq = seq
        self.recordedAt = recordedAt
        self.payload = payload
    }
}
