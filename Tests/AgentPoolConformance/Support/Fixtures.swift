import AgentPool

/// Small builders shared by the conformance tests.
enum Fixtures {
    static let pool = "pool-a"

    static func member(_ run: RunID, agent: AgentID = "agent", topics: [TopicID] = [], refs: [PolicyRef] = []) -> Member {
        Member(runID: run, agentID: agent, policyRefs: refs, topics: topics)
    }

    static func message(_ id: MessageID, from: RunID = "run-1", to: Address = .run("run-2"), key: IdempotencyKey? = nil, content: String = "c") -> Message {
        Message(messageID: id, from: from, to: to, contentRef: content, idempotencyKey: key ?? "key-\(id)")
    }

    static func stored(_ message: Message, _ status: MessageStatus, to recipients: [RunID] = []) -> StoredMessage {
        StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: status, deliveredTo: recipients))
    }

    static func wake(_ id: ConditionID, run: RunID = "run-2", key: IdempotencyKey? = nil, status: WakeStatus = .registered, cursor: Seq? = nil) -> StoredWake {
        let filter = EventFilter(kinds: .oneOf([.message(.delivered)]))
        let condition = WakeCondition(conditionID: id, runID: run, filter: filter, idempotencyKey: key ?? "wkey-\(id)")
        return StoredWake(condition: condition, compiledFilter: CompiledFilter.compile(filter, members: [], config: PoolConfig()),
                          registration: Registration(conditionID: id, runID: run, status: status, matchingCursor: cursor))
    }

    /// The store's full log of `pool`.
    static func log(_ store: any PoolStore, _ pool: PoolID = pool) async throws -> [PoolRecord] {
        try await store.allRecords(pool, pageSize: 7)
    }

    /// Asserts-by-throwing helper: the snapshot equals the reducer's replay of the full log.
    static func replayed(_ store: any PoolStore, _ pool: PoolID = pool) async throws -> Snapshot {
        try PoolState.replay(poolID: pool, records: try await log(store, pool)).snapshot()
    }
}

/// Runs `body` and returns the ``AgentPoolError`` it threw, or nil when it did not throw one.
func agentPoolError(_ body: () async throws -> Void) async -> AgentPoolError? {
    do {
        try await body()
        return nil
    } catch let error as AgentPoolError {
        return error
    } catch {
        return AgentPoolError(kind: .storage, message: "unexpected \(error)")
    }
}
