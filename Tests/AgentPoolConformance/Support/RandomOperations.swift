import AgentPool

/// Random store operations over a small id space, so that dedupe hits, conflicts, refused
/// transitions and bad input all happen often. Every operation is deterministic given the seed.
public enum RandomOperation: Sendable, CustomStringConvertible {
    /// `pool_opened` with this config (a conflict when the pool was opened with another).
    case open(PoolConfig)
    /// `pool_created`, once.
    case markCreated
    /// `member_joined` (sometimes with an invalid run id).
    case join(Member)
    /// `member_left` (refused for a non-member).
    case leave(RunID)
    /// A message record in a random status: transitions, dedupe hits and conflicts.
    case recordMessage(StoredMessage)
    /// A wake record in a random status: transitions, dedupe hits and conflicts.
    case recordWake(StoredWake)
    /// Several operations in one write that then throws: must leave nothing behind.
    case abortedBatch([RandomOperation])

    /// The operation in a few words, for failure messages.
    public var description: String {
        switch self {
        case .open: "open"
        case .markCreated: "markCreated"
        case .join(let member): "join(\(member.runID))"
        case .leave(let run): "leave(\(run))"
        case .recordMessage(let stored): "message(\(stored.message.messageID), \(stored.receipt.status.rawValue))"
        case .recordWake(let stored): "wake(\(stored.condition.conditionID), \(stored.registration.status.rawValue))"
        case .abortedBatch(let operations): "aborted\(operations)"
        }
    }

    /// Makes one random operation.
    public static func random(using rng: inout SeededGenerator) -> RandomOperation {
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<3: return .open(randomConfig(using: &rng))
        case 3..<5: return .markCreated
        case 5..<25: return .join(randomMember(using: &rng))
        case 25..<33: return .leave(randomRun(using: &rng))
        case 33..<70: return .recordMessage(randomMessage(using: &rng))
        case 70..<95: return .recordWake(randomWake(using: &rng))
        default:
            return .abortedBatch((0..<Int.random(in: 1...3, using: &rng)).map { _ in
                Bool.random(using: &rng) ? .join(randomMember(using: &rng)) : .recordMessage(randomMessage(using: &rng))
            })
        }
    }

    /// Applies the operation in one write on `store`; returns the error kind when it was refused.
    @discardableResult
    public func apply(to store: any PoolStore, pool: PoolID) async -> AgentPoolError.Kind? {
        do {
            try await store.write(pool) { try self.run(on: $0) }
            return nil
        } catch let error as AgentPoolError {
            if error.kind == .storage { print("storage error from \(self): \(error)") }
            return error.kind
        } catch is AbortBatch {
            return nil
        } catch {
            print("unexpected error from \(self): \(error)")
            return .storage
        }
    }

    /// The error an aborted batch throws after its operations ran.
    public struct AbortBatch: Error {}

    func run(on writer: any PoolWriter) throws {
        switch self {
        case .open(let config): try writer.openPool(config)
        case .markCreated: try writer.markCreated()
        case .join(let member): try writer.join(member)
        case .leave(let run): try writer.leave(run)
        case .recordMessage(let stored): try writer.recordMessage(stored)
        case .recordWake(let stored): try writer.recordWake(stored)
        case .abortedBatch(let operations):
            for operation in operations { try? operation.run(on: writer) }
            throw AbortBatch()
        }
    }

    static let runs = (0..<6).map { "run-\($0)" }

    static func randomRun(using rng: inout SeededGenerator) -> RunID {
        // Now and then an invalid id, which must be refused with nothing written.
        Int.random(in: 0..<40, using: &rng) == 0 ? "" : runs.randomElement(using: &rng)!
    }

    static func randomSubset(_ values: [String], using rng: inout SeededGenerator) -> [String] {
        values.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }
    }

    static func randomConfig(using rng: inout SeededGenerator) -> PoolConfig {
        PoolConfig(messagePolicy: MessagePolicy(includeSenderInPoolBroadcast: Int.random(in: 0..<4, using: &rng) == 0))
    }

    static func randomMember(using rng: inout SeededGenerator) -> Member {
        Member(runID: randomRun(using: &rng), agentID: "agent-\(Int.random(in: 0..<3, using: &rng))",
               policyRefs: randomSubset(["p0", "p1"], using: &rng), topics: randomSubset(["t0", "t1", "t2"], using: &rng))
    }

    static func randomMessage(using rng: inout SeededGenerator) -> StoredMessage {
        let n = Int.random(in: 0..<40, using: &rng)
        let id = "m\(n)"
        // Mostly the one message this id stands for; sometimes a different one (a conflict).
        let variant = Int.random(in: 0..<12, using: &rng) == 0 ? "x" : ""
        let key = Int.random(in: 0..<15, using: &rng) == 0 ? "k\(Int.random(in: 0..<40, using: &rng))" : "k\(n)"
        let message = Message(
            messageID: id, from: runs[n % runs.count], to: n % 3 == 0 ? .pool("p") : .run(runs[(n + 1) % runs.count]),
            contentRef: n % 5 == 0 ? "" : "content-\(id)\(variant)",
            body: n % 5 == 0 || n % 7 == 0 ? .object(["id": .string(id + variant), "n": .integer(Int64(n)), "text": .string("é日本\n\"q\"")]) : nil,
            idempotencyKey: key,
            responseContract: n % 4 == 0 ? ResponseContract(expectedResponses: 2, timeoutMillis: 1000) : nil,
            expiresAtMillis: n % 6 == 0 ? 5_000 : nil, queued: n % 6 == 0,
            notBeforeMillis: n % 9 == 2 ? 3_000 : nil, priority: n % 8 == 1 ? n - 20 : 0,
            after: n % 10 == 3 || n % 10 == 4 ? ["m\(n - 3)", "m\((n + 11) % 40)"] : [])
        let status = MessageStatus.allCases.randomElement(using: &rng)!
        let receipt = Receipt(messageID: id, status: status,
                              deliveredTo: status == .accepted ? [] : randomSubset(runs, using: &rng),
                              respondedBy: status == .delivered || status == .responded ? randomSubset(runs, using: &rng) : [],
                              waitingFor: status == .accepted ? message.after : [])
        return StoredMessage(message: message, receipt: receipt)
    }

    static func randomWake(using rng: inout SeededGenerator) -> StoredWake {
        let n = Int.random(in: 0..<20, using: &rng)
        let id = "w\(n)"
        let key = Int.random(in: 0..<15, using: &rng) == 0 ? "wk\(Int.random(in: 0..<20, using: &rng))" : "wk\(n)"
        let filter = EventFilter(sourceRuns: .oneOf([runs[n % runs.count]]), kinds: .oneOf([.message(.delivered)]))
        // Every fifth condition waits for any of two filters instead of one.
        let anyOf = n % 5 == 3 ? [filter, EventFilter(kinds: .oneOf([.runJoined]))] : []
        let condition = WakeCondition(conditionID: id, runID: runs[(n + 2) % runs.count], filter: anyOf.isEmpty ? filter : EventFilter(),
                                      idempotencyKey: key, timeoutMillis: n % 2 == 0 ? 5000 : nil, anyOf: anyOf)
        let status = WakeStatus.allCases.randomElement(using: &rng)!
        var registration = Registration(conditionID: id, runID: condition.runID, status: status,
                                        matchingCursor: status == .triggered ? Seq(n + 1) : nil)
        if status == .triggered, !anyOf.isEmpty { registration.matchedFilter = n % 2 }
        return StoredWake(condition: condition,
                          compiledFilter: CompiledFilter.compile(condition.filter, members: [], config: PoolConfig()),
                          registration: registration,
                          compiledAnyOf: anyOf.map { CompiledFilter.compile($0, members: [], config: PoolConfig()) })
    }
}
