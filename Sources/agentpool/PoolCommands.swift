import AgentPool
import ArgumentParser
import Foundation

/// `agentpool pools`: every pool with its last seq, member count and message count.
struct PoolsCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "pools", abstract: "List every pool with its last seq, member count and message count.")

    /// The global options.
    @OptionGroup var global: GlobalOptions

    /// Prints the pools sorted by id (a JSON array); never creates the database.
    func run() async throws {
        let pools = try await global.withStore(.existing) { try await $0.pools() }
        try global.print(pools) { pools in
            Table(headers: ["POOL", "LAST_SEQ", "MEMBERS", "MESSAGES"],
                  rows: pools.sortedNaturally(by: \.poolID).map { [$0.poolID, "\($0.lastSeq)", "\($0.memberCount)", "\($0.messageCount)"] })
        }
    }
}

/// `agentpool open POOL`: opens a pool with a config, creating the database when missing.
struct OpenCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open a pool (appends pool_opened once; an equal config writes nothing).")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// Policy refs every message must carry.
    @Option(name: .customLong("required-policy"), help: ArgumentHelp("A policy ref every message must carry (repeatable).", valueName: "ref"))
    var requiredPolicies: [String] = []
    /// Whether pool broadcasts also reach their sender.
    @Flag(name: .customLong("include-sender"), help: "Pool broadcasts also reach their sender.")
    var includeSender = false
    /// The pool's policy refs.
    @Option(name: .customLong("policy"), help: ArgumentHelp("A pool policy ref (repeatable).", valueName: "ref"))
    var policies: [String] = []
    /// Concurrency limits, `topic:T=N` or `agent:A=N`.
    @Option(name: .customLong("claim-limit"),
            help: ArgumentHelp("At most N live claims at once on messages sent to topic:T or agent:A, across processes (repeatable).",
                               valueName: "topic:T=N"))
    var claimLimits: [String] = []

    /// The `--claim-limit` values as the config's map.
    /// - Throws: a usage error for a value that is not `ADDRESS=N` or names an address twice.
    func limits() throws -> [String: Int] {
        var limits: [String: Int] = [:]
        for text in claimLimits {
            guard let equals = text.lastIndex(of: "="), let limit = Int(text[text.index(after: equals)...]) else {
                throw ValidationError("--claim-limit takes topic:T=N or agent:A=N; got '\(text)'")
            }
            let address = String(text[..<equals])
            guard limits.updateValue(limit, forKey: address) == nil else {
                throw ValidationError("--claim-limit names '\(address)' twice")
            }
        }
        return limits
    }

    /// Rejects a malformed `--claim-limit` as a usage error.
    func validate() throws { _ = try limits() }

    /// Prints the pool's snapshot. The config is checked before the database is created, so bad
    /// input leaves no file behind.
    /// - Throws: `configConflict` when the pool exists with another config; `invalidInput` for a
    ///   limit on another kind of address or out of range; nothing is written.
    func run() async throws {
        let config = PoolConfig(
            messagePolicy: MessagePolicy(requiredPolicyRefs: requiredPolicies, includeSenderInPoolBroadcast: includeSender),
            policyRefs: policies, claimLimits: try limits())
        try IDValidation.check(target.pool, field: "pool_id")
        try config.validate()
        try await target.printing(.createIfMissing, table: SnapshotTable.table) { try await $0.open(config: config) }
    }
}

/// What `join` and `leave` print: the pool, the member and the pool's cursor afterwards.
struct MembershipResult: Encodable {
    /// The pool.
    var poolID: PoolID
    /// The member that joined or left.
    var runID: RunID
    /// The pool's cursor after the call (unchanged when it wrote nothing).
    var cursor: Seq

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey { case poolID = "pool_id", runID = "run_id", cursor }

    /// One row per field.
    static func table(_ result: MembershipResult) -> Table {
        Table(headers: ["POOL", "RUN", "CURSOR"], rows: [[result.poolID, result.runID, "\(result.cursor)"]])
    }
}

/// `agentpool join POOL --run R --agent A`: adds or replaces a member.
struct JoinCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "join", abstract: "Add a run to a pool (joining again as the same member writes nothing).")

    /// The global options, the pool and the joining run.
    @OptionGroup var member: RunArguments
    /// The agent behind the run.
    @Option(help: ArgumentHelp("The agent id.", valueName: "agent")) var agent: String
    /// Topics the member listens to.
    @Option(name: .customLong("topic"), help: ArgumentHelp("A topic to listen to (repeatable).", valueName: "topic"))
    var topics: [String] = []
    /// Policy refs the member holds.
    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy ref the member holds (repeatable).", valueName: "ref"))
    var policies: [String] = []
    /// A lease: the member must heartbeat within this many milliseconds, or it is removed.
    @Option(name: .customLong("lease-ms"), help: ArgumentHelp("Lease in ms: heartbeat within it or be removed.", valueName: "ms"))
    var leaseMillis: Int64?

    /// Prints the pool, run and cursor.
    /// - Throws: `poolNotFound`, `invalidInput`; no database is created.
    func run() async throws {
        let joining = Member(runID: member.runID, agentID: agent, policyRefs: policies, topics: topics)
        try await member.target.printing(table: MembershipResult.table) { pool in
            MembershipResult(poolID: pool.poolID, runID: joining.runID, cursor: try await pool.join(joining, leaseMillis: leaseMillis))
        }
    }
}

/// `agentpool leave POOL --run R`: removes a member.
struct LeaveCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(commandName: "leave", abstract: "Remove a run from a pool.")

    /// The global options, the pool and the leaving run.
    @OptionGroup var member: RunArguments

    /// Prints the pool, run and cursor.
    /// - Throws: `notMember`, `poolNotFound`; nothing is written.
    func run() async throws {
        let run = member.runID
        try await member.target.printing(table: MembershipResult.table) { pool in
            MembershipResult(poolID: pool.poolID, runID: run, cursor: try await pool.leave(run))
        }
    }
}

/// `agentpool snapshot POOL`: the pool's current state, read from projections, with the claims
/// held now.
struct SnapshotCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Print a pool's current state and the claims held now.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// Prints the snapshot and the held claims, as of one consistent read; never creates the
    /// database.
    /// - Throws: `poolNotFound`.
    func run() async throws {
        try await target.printing(table: { SnapshotTable.table($0.snapshot, claims: $0.claims) }) { pool in
            try await pool.store.read(pool.poolID) { reader in
                SnapshotView(snapshot: try reader.snapshot(), claims: try reader.claims(status: .held, run: nil))
            }
        }
    }
}

/// What `agentpool snapshot` prints: the snapshot's own keys, and `claims`.
struct SnapshotView: Encodable, Sendable {
    /// The pool's snapshot (equal to the replay of its log).
    var snapshot: Snapshot
    /// The claims held now, sorted by message id. Claims live beside the log, not in it, so they
    /// are not part of ``Snapshot``; a held claim whose lease ran out stays listed until the next
    /// write, waiter or sweep counts it.
    var claims: [MessageClaim]

    enum CodingKeys: String, CodingKey { case claims }

    /// One object: every key of the snapshot, then `claims`.
    func encode(to encoder: any Encoder) throws {
        try snapshot.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(claims, forKey: .claims)
    }
}

/// `agentpool consumers POOL`: durable consumers with their cursor and lag.
struct ConsumersCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "consumers", abstract: "List a pool's durable consumers with their cursor and lag.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// Prints the consumers sorted by name (a JSON array); never creates the database.
    /// - Throws: `poolNotFound`.
    func run() async throws {
        try await target.printing(table: { consumers in
            Table(headers: ["NAME", "CURSOR", "LAG", "UPDATED_AT"],
                  rows: consumers.sortedNaturally(by: \.name).map { [$0.name, "\($0.cursor)", "\($0.lag)", Cell.time($0.updatedAt)] })
        }) { try await $0.consumers() }
    }
}

/// The table rendering of a snapshot: the pool's fields, then one row per member, message,
/// wake and claim.
enum SnapshotTable {
    /// One table with a section column, so that everything stays aligned; ids in each section
    /// in natural order (`task-2` before `task-10`).
    static func table(_ snapshot: Snapshot) -> Table { table(snapshot, claims: []) }

    /// ``table(_:)`` with a `claim` row per claim in `claims`.
    static func table(_ snapshot: Snapshot, claims: [MessageClaim]) -> Table {
        var rows: [[String]] = [
            ["pool", snapshot.poolID, "cursor=\(Cell.number(snapshot.cursor)) created=\(snapshot.created)"],
            ["config", "-", "required=\(Cell.list(snapshot.messagePolicy.requiredPolicyRefs)) include_sender=\(snapshot.messagePolicy.includeSenderInPoolBroadcast) policies=\(Cell.list(snapshot.policyRefs))"],
        ]
        rows += snapshot.members.sortedNaturally(by: \.runID).map {
            ["member", $0.runID, "agent=\($0.agentID) topics=\(Cell.list($0.topics)) policies=\(Cell.list($0.policyRefs))"]
        }
        rows += snapshot.messages.sortedNaturally(by: \.message.messageID).map {
            ["message", $0.message.messageID,
             "status=\($0.receipt.status.rawValue) from=\($0.message.from) to=\(Cell.address($0.message.to)) delivered_to=\(Cell.list($0.receipt.deliveredTo)) content=\(Cell.content($0.message))"]
        }
        rows += snapshot.wakes.sortedNaturally(by: \.condition.conditionID).map {
            ["wake", $0.condition.conditionID,
             "status=\($0.registration.status.rawValue) run=\($0.registration.runID) matching_cursor=\(Cell.number($0.registration.matchingCursor))"]
        }
        rows += claims.sortedNaturally(by: \.messageID).map {
            ["claim", $0.messageID,
             "status=\($0.status.rawValue) run=\($0.runID) token=\($0.token) expires_at=\(Cell.time($0.expiresAt)) attempts=\($0.expiredCount)/\($0.maxAttempts)"]
        }
        return Table(headers: ["KIND", "ID", "DETAILS"], rows: rows)
    }
}

/// `agentpool heartbeat POOL --run R`: renews a member's lease.
struct HeartbeatCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "heartbeat", abstract: "Renew a leased member's lease (writes no record).")

    /// The global options, the pool and the member run.
    @OptionGroup var member: RunArguments

    /// The renewed lease.
    struct Result: Codable {
        /// The pool.
        var poolID: String
        /// The member.
        var runID: String
        /// The new expiry (UTC ms); nil when the member has no lease.
        var expiresAt: Int64?

        enum CodingKeys: String, CodingKey { case poolID = "pool_id", runID = "run_id", expiresAt = "expires_at" }
    }

    /// Prints the new expiry.
    /// - Throws: `notMember` (also once the lease ran out), `poolNotFound`.
    func run() async throws {
        let run = member.runID
        try await member.target.printing(table: { result in
            Table(headers: ["POOL", "RUN", "EXPIRES_AT"], rows: [[result.poolID, result.runID, result.expiresAt.map { "\($0)" } ?? "-"]])
        }) { pool in Result(poolID: pool.poolID, runID: run, expiresAt: try await pool.heartbeat(run)) }
    }
}

/// `agentpool sweep`: records every passed deadline in every pool.
struct SweepCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "sweep", abstract: "Record every passed deadline (expired leases, overdue wakes, response timeouts) in every pool.")

    /// The global options.
    @OptionGroup var global: GlobalOptions

    /// Prints every pool with its cursor after the sweep.
    func run() async throws {
        let pools = try await global.withStore(.existing) { store in
            for summary in try await store.pools() { try await PoolHandle(summary.poolID, store: store).sweep() }
            return try await store.pools()
        }
        try global.print(pools) { pools in
            Table(headers: ["POOL", "LAST_SEQ", "MEMBERS", "MESSAGES"],
                  rows: pools.sortedNaturally(by: \.poolID).map { [$0.poolID, "\($0.lastSeq)", "\($0.memberCount)", "\($0.messageCount)"] })
        }
    }
}
