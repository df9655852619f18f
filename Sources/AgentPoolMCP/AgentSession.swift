import AgentPool
import Foundation

/// Who an `agentpool mcp` server is in its pool: the run it joined as, with its agent and topics,
/// and the lease it keeps alive.
public struct AgentIdentity: Sendable, Hashable {
    /// The pool.
    public var poolID: PoolID
    /// The run the server joins as; a restarted server given the same run resumes its inbox.
    public var runID: RunID
    /// The agent behind the run.
    public var agentID: AgentID
    /// The topics the run listens to.
    public var topics: [TopicID]
    /// The member lease: a server that stops heartbeating is removed this long after its last beat.
    public var leaseMillis: Millis

    /// Creates an identity; the lease defaults to 15 s.
    public init(poolID: PoolID, runID: RunID, agentID: AgentID, topics: [TopicID] = [], leaseMillis: Millis = 15_000) {
        self.poolID = poolID
        self.runID = runID
        self.agentID = agentID
        self.topics = topics
        self.leaseMillis = leaseMillis
    }
}

/// One run's seat in a pool, which the MCP tools act through: the leased membership and the
/// run's durable inbox cursor.
///
/// The inbox cursor is the durable consumer `mcp-inbox.<run>` (see `DurableConsumer`): `inbox`
/// and `wait` acknowledge what they return, so a server restarted with the same run id resumes
/// after the last acknowledged message — nothing delivered meanwhile is lost, nothing is shown
/// twice. Claim tokens are read from the store when needed, never kept here, so a restarted
/// server completes what its run still holds.
public final class AgentSession: Sendable {
    /// The run's pool.
    public let pool: PoolHandle
    /// Who the run is.
    public let identity: AgentIdentity
    /// The run's inbox cursor.
    let inbox: DurableConsumer
    /// The membership, heartbeating in the background until ``leave()``.
    let member: LeasedMember

    /// Opens the pool if it does not exist (with the default config) and joins it as
    /// `identity` with its lease, heartbeating in the background.
    ///
    /// - Throws: `invalidInput` for a malformed id or lease; `configConflict` never (an existing
    ///   pool is used as it is); the store's errors. On error nothing heartbeats.
    public static func join(_ identity: AgentIdentity, store: any PoolStore) async throws -> AgentSession {
        let pool = try PoolHandle(identity.poolID, store: store)
        if try await store.read(identity.poolID, { try $0.info() }) == nil {
            try await pool.open()
        }
        let inbox = try pool.consumer(inboxConsumerName(identity.runID))
        let member = try await pool.joinLeased(
            Member(runID: identity.runID, agentID: identity.agentID, topics: identity.topics),
            leaseMillis: identity.leaseMillis)
        return AgentSession(pool: pool, identity: identity, inbox: inbox, member: member)
    }

    /// A session over an already joined member; only ``join(_:store:)`` makes one.
    private init(pool: PoolHandle, identity: AgentIdentity, inbox: DurableConsumer, member: LeasedMember) {
        self.pool = pool
        self.identity = identity
        self.inbox = inbox
        self.member = member
    }

    /// The durable consumer that holds `run`'s inbox cursor.
    static func inboxConsumerName(_ run: RunID) -> String { "mcp-inbox.\(run)" }

    /// The run's id.
    public var runID: RunID { identity.runID }

    /// Stops the heartbeat and leaves the pool: the run's claims are released and its wakes
    /// cancelled. Its inbox cursor stays, for a later server with the same run id.
    /// - Throws: what `LeasedMember.leave()` throws (`notMember` when the run was already removed).
    public func leave() async throws {
        try await member.leave()
    }

    /// The pool's cursor now.
    func poolCursor() async throws -> Seq {
        let pool = self.pool
        return try await pool.store.read(pool.poolID) { reader in
            guard let info = try reader.info() else {
                throw AgentPoolError(kind: .poolNotFound, message: "pool '\(pool.poolID)' does not exist (never opened, or dropped)")
            }
            return info.cursor
        }
    }
}
