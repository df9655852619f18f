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
        try await target.printing(table: MemberStatus.table) { pool in try await pool.memberStatuses() }
    }
}

extension MemberStatus {
    /// One row per member, in natural order of run ids.
    static func table(_ members: [MemberStatus]) -> Table {
        Table(headers: ["RUN", "AGENT", "TOPICS", "LEASE_MS", "RENEWED_AT", "EXPIRES_AT", "TIME_LEFT"],
              rows: members.sortedNaturally(by: \.member.runID).map {
                  [$0.member.runID, $0.member.agentID, Cell.list($0.member.topics), Cell.number($0.lease?.leaseMillis),
                   Cell.time($0.renewedAt), Cell.time($0.lease?.expiresAt), Cell.duration($0.timeLeftMillis)]
              })
    }
}

/// `agentpool claims POOL [--status S] [--run R]`: claim records with holder, token, age,
/// expiry and attempts, and the message each one is for with its priority, dependencies and
/// due time.
struct ClaimsCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "List a pool's claims: holder, token, age, expiry, attempts, and the message's priority, dependencies, due time and content.",
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
        try await target.printing(table: ClaimDetail.table) { pool in try await pool.claimDetails(statuses: wanted, run: run) }
    }
}

extension ClaimDetail {
    /// One row per claim, in natural order of message ids; attempts are expired claims out of
    /// the maximum.
    static func table(_ claims: [ClaimDetail]) -> Table {
        Table(headers: ["MESSAGE", "STATUS", "RUN", "TOKEN", "AGE", "EXPIRES_AT", "TIME_LEFT", "PRIORITY", "AFTER", "DUE",
                        "ATTEMPTS", "CONTENT"],
              rows: claims.sortedNaturally(by: \.claim.messageID).map {
                  [$0.claim.messageID, $0.claim.status.rawValue, $0.claim.runID, "\($0.claim.token)", Cell.duration($0.ageMillis),
                   $0.timeLeftMillis == nil ? "-" : Cell.time($0.claim.expiresAt), Cell.duration($0.timeLeftMillis),
                   $0.message.map { "\($0.priority)" } ?? "-", Cell.list($0.message?.after ?? []), Cell.time($0.message?.notBeforeMillis),
                   "\($0.claim.expiredCount)/\($0.claim.maxAttempts)", $0.message.map(Cell.content) ?? "-"]
              })
    }
}
