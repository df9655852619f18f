import AgentPool
import ArgumentParser

/// `agentpool members POOL`: every member with its agent, topics and lease.
struct MembersCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List a pool's members with their agent, topics and lease (expiry, time left).",
        discussion: """
            A member whose lease ran out stays listed, with a negative time left, until a write, \
            a waiter or sweep records its departure.
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// Prints the members sorted by run id (a JSON array; natural order in a table), each with
    /// its lease as of one consistent read. Only reads; never creates the database.
    /// - Throws: `poolNotFound`, `invalidInput` for a malformed pool id.
    func run() async throws {
        try await target.printing(table: MemberView.table) { pool in
            try await pool.store.read(pool.poolID) { [clock = pool.store.clock] reader in
                _ = try reader.requireInfo()
                let now = clock.nowMillis()
                return try reader.members().map { MemberView($0, lease: try reader.lease($0.runID), now: now) }
            }
        }
    }
}

/// One member as `agentpool members` prints it: the member and its lease as stored, and what
/// the lease means at the moment of the read.
struct MemberView: Encodable, Sendable {
    /// The member as stored (`run_id`, `agent_id`, `topics`, `policy_refs`).
    var member: Member
    /// Its lease (`lease_millis`, `expires_at`); absent for a member that joined without one.
    var lease: MemberLease?
    /// When the lease was last granted or renewed, by the join or a heartbeat
    /// (`expires_at − lease_millis`).
    var renewedAt: Millis?
    /// Milliseconds from the read until the lease runs out; negative once it ran out but its
    /// departure is not recorded yet.
    var timeLeftMillis: Millis?

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey {
        case member, lease, renewedAt = "renewed_at", timeLeftMillis = "time_left_ms"
    }

    /// `member` with `lease`, seen at `now` (store clock, UTC ms).
    init(_ member: Member, lease: MemberLease?, now: Millis) {
        self.member = member
        self.lease = lease
        renewedAt = lease.map { $0.expiresAt - $0.leaseMillis }
        timeLeftMillis = lease.map { $0.expiresAt - now }
    }

    /// One row per member, in natural order of run ids.
    static func table(_ members: [MemberView]) -> Table {
        Table(headers: ["RUN", "AGENT", "TOPICS", "LEASE_MS", "RENEWED_AT", "EXPIRES_AT", "TIME_LEFT"],
              rows: members.sortedNaturally(by: \.member.runID).map {
                  [$0.member.runID, $0.member.agentID, Cell.list($0.member.topics), Cell.number($0.lease?.leaseMillis),
                   Cell.time($0.renewedAt), Cell.time($0.lease?.expiresAt), Cell.duration($0.timeLeftMillis)]
              })
    }
}

/// `agentpool claims POOL [--status S] [--run R]`: claim records with holder, token, age,
/// expiry and attempts, and the message each one is for.
struct ClaimsCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "List a pool's claims: holder, token, age, expiry, attempts and the message's content.",
        discussion: """
            A held claim whose lease ran out is listed as held, with a negative time left, until \
            the next write, waiter or sweep counts it.
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// Only claims with this status.
    @Option(help: ArgumentHelp("Only claims with this status: \(ClaimsCommand.statuses.joined(separator: ", ")) (default: all).",
                               valueName: "status"))
    var status: String?
    /// Only claims held, or last held, by this run.
    @Option(name: .customLong("run"), help: ArgumentHelp("Only claims held (or last held) by this run.", valueName: "run"))
    var runID: String?

    /// The claim statuses `--status` accepts: the model's, spelled as stored.
    static let statuses = ClaimStatus.allCases.map(\.rawValue)

    /// Rejects a status that is not a claim status as a usage error naming the valid ones.
    func validate() throws {
        try Usage.require(status.map { [$0] } ?? [], in: Self.statuses, "--status")
    }

    /// Prints the claims sorted by message id (a JSON array; natural order in a table) as of one
    /// consistent read. Only reads; never creates the database.
    /// - Throws: `poolNotFound`; `invalidInput` for a malformed pool or run id.
    func run() async throws {
        let run = runID, wanted = status.flatMap(ClaimStatus.init(rawValue:)).map { [$0] } ?? ClaimStatus.allCases
        if let run { try IDValidation.check(run, field: "run_id") }
        try await target.printing(table: ClaimView.table) { pool in
            try await pool.store.read(pool.poolID) { [clock = pool.store.clock] reader in
                _ = try reader.requireInfo()
                let now = clock.nowMillis()
                // One list per status, each in the store's byte order of message ids: merged the same way.
                let claims = try wanted.flatMap { try reader.claims(status: $0, run: run) }
                    .sorted { $0.messageID.utf8.lexicographicallyPrecedes($1.messageID.utf8) }
                return try claims.map { ClaimView($0, stored: try reader.message($0.messageID), now: now) }
            }
        }
    }
}

/// One claim as `agentpool claims` prints it: the claim record, the message it is for with its
/// receipt, and, while it is held, what its lease means at the moment of the read.
struct ClaimView: Encodable, Sendable {
    /// The claim record (`status`, `run_id`, `token`, `lease_millis`, `expires_at`,
    /// `expired_count`, `max_attempts`, `resent_as`).
    var claim: MessageClaim
    /// The claimed message (its `content_ref` and everything else it carries).
    var message: Message?
    /// The message's current receipt.
    var receipt: Receipt?
    /// For a held claim: milliseconds since it was granted or last extended
    /// (`expires_at − lease_millis`).
    var ageMillis: Millis?
    /// For a held claim: milliseconds from the read until it runs out; negative once it ran out
    /// but is not counted yet.
    var timeLeftMillis: Millis?

    /// The JSON keys, in snake_case.
    enum CodingKeys: String, CodingKey {
        case claim, message, receipt, ageMillis = "age_ms", timeLeftMillis = "time_left_ms"
    }

    /// `claim` with its message, seen at `now` (store clock, UTC ms).
    init(_ claim: MessageClaim, stored: StoredMessage?, now: Millis) {
        self.claim = claim
        message = stored?.message
        receipt = stored?.receipt
        let held = claim.status == .held
        ageMillis = held ? now - (claim.expiresAt - claim.leaseMillis) : nil
        timeLeftMillis = held ? claim.expiresAt - now : nil
    }

    /// One row per claim, in natural order of message ids; attempts are expired claims out of
    /// the maximum.
    static func table(_ claims: [ClaimView]) -> Table {
        Table(headers: ["MESSAGE", "STATUS", "RUN", "TOKEN", "AGE", "EXPIRES_AT", "TIME_LEFT", "ATTEMPTS", "CONTENT"],
              rows: claims.sortedNaturally(by: \.claim.messageID).map {
                  [$0.claim.messageID, $0.claim.status.rawValue, $0.claim.runID, "\($0.claim.token)", Cell.duration($0.ageMillis),
                   $0.timeLeftMillis == nil ? "-" : Cell.time($0.claim.expiresAt), Cell.duration($0.timeLeftMillis),
                   "\($0.claim.expiredCount)/\($0.claim.maxAttempts)", $0.message.map(Cell.content) ?? "-"]
              })
    }
}
