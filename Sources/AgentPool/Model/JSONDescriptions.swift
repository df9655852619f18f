// Values a user prints (`print(receipt)`, string interpolation, test failures) read as the JSON
// the log stores, not as the stored properties behind it.

extension PoolRecord: CustomStringConvertible {
    /// The record as one line of compact JSON with sorted keys: the library's record encoding.
    public var description: String { RecordCodec.jsonDescription(of: self) }
}

extension StoredMessage: CustomStringConvertible {
    /// The message and its receipt as one line of compact JSON with sorted keys, as stored in a
    /// `run_message` record.
    public var description: String { RecordCodec.jsonDescription(of: self) }
}

extension Receipt: CustomStringConvertible {
    /// The receipt as one line of compact JSON with sorted keys (empty run lists omitted), as
    /// stored and as `agentpool send` prints it.
    public var description: String { RecordCodec.jsonDescription(of: self) }
}

extension Registration: CustomStringConvertible {
    /// The registration as one line of compact JSON with sorted keys, as stored in a `wake`
    /// record and as `agentpool wake` prints it.
    public var description: String { RecordCodec.jsonDescription(of: self) }
}

extension MessageClaim: CustomStringConvertible {
    /// The claim as one line of compact JSON with sorted keys, as `agentpool release` prints it.
    public var description: String { RecordCodec.jsonDescription(of: self) }
}
