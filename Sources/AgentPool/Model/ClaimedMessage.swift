/// A message a worker claimed with ``PoolHandle/claimNext(_:from:leaseMillis:maxAttempts:)``:
/// the message, its receipt and the claim whose token the worker must present.
public struct ClaimedMessage: Hashable, Sendable, Codable {
    /// The claim; present ``MessageClaim/token`` to `complete`, `release`, `reply` or `extendClaim`.
    public var claim: MessageClaim
    /// The message.
    public var message: Message
    /// Its current receipt (`delivered`).
    public var receipt: Receipt

    /// The fencing token of this claim.
    public var token: Int64 { claim.token }
}
