import AgentPool

/// A pool opened on a fresh store of one backend, with helpers to build messages and wakes.
struct CoordinatorFixture {
    let context: StoreContext
    let pool: PoolHandle

    static func make(_ harness: StoreFactory, config: PoolConfig = PoolConfig(), members: [Member] = []) async throws -> CoordinatorFixture {
        let context = try await harness.makeContext()
        let pool = try await PoolHandle.open("pool", config: config, store: context.store)
        for member in members { try await pool.join(member) }
        return CoordinatorFixture(context: context, pool: pool)
    }

    var clock: ManualClock { context.clock }

    /// The number of records in the pool's log.
    func logCount() async throws -> Int { try await context.store.allRecords("pool").count }

    /// The pool's full log.
    func log() async throws -> [PoolRecord] { try await context.store.allRecords("pool") }

    static func message(_ id: MessageID, from: RunID, to: Address, key: IdempotencyKey? = nil, refs: [PolicyRef] = [],
                        expected: Int? = nil, timeout: Millis? = nil, expiresAt: Millis? = nil) -> Message {
        Message(messageID: id, from: from, to: to, contentRef: "content-\(id)", idempotencyKey: key ?? "key-\(id)",
                responseContract: expected == nil && timeout == nil ? nil : ResponseContract(expectedResponses: expected, timeoutMillis: timeout),
                expiresAtMillis: expiresAt, policyRefs: refs)
    }

    static func wake(_ id: ConditionID, run: RunID, kinds: [EventKind] = [], from: [RunID] = [], messages: [MessageID] = [],
                     timeout: Millis? = nil, key: IdempotencyKey? = nil) -> WakeCondition {
        WakeCondition(conditionID: id, runID: run,
                      filter: EventFilter(sourceRuns: from.isEmpty ? .any : .oneOf(from), kinds: kinds.isEmpty ? .any : .oneOf(kinds),
                                          messageIDs: messages.isEmpty ? .any : .oneOf(messages)),
                      idempotencyKey: key ?? "wkey-\(id)", timeoutMillis: timeout)
    }

    static func member(_ run: RunID, agent: AgentID = "agent", topics: [TopicID] = [], refs: [PolicyRef] = []) -> Member {
        Member(runID: run, agentID: agent, policyRefs: refs, topics: topics)
    }
}


let delivered = EventKind.message(.delivered)
