import AgentPool
import ArgumentParser
import Foundation

/// `agentpool claim POOL --run R --lease-ms N [--wait [--timeout-ms N]]`: takes the oldest
/// claimable message delivered to a run, for a lease, and prints it with its claim (`null` when
/// there is none); with `--wait`, blocks until there is one or the timeout passed.
struct ClaimCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Claim the oldest delivered message no live claim holds, for a lease; print it with its claim and fencing token.",
        discussion: """
            When nothing is claimable, prints null (json) or a line saying so (table) and exits 0; \
            with --wait it first blocks, at no CPU, until something is (a delivery, a release or \
            an expired claim, by any process) or --timeout-ms passed. Present the printed token \
            to complete or release it; after --max-attempts claims ran out, the message becomes \
            a dead letter (see dead and resend).
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The claiming run.
    @Option(name: .customLong("run"), help: ArgumentHelp("The claiming run id (a member the message was delivered to).", valueName: "run"))
    var runID: String
    /// Only messages sent to this address.
    @Option(help: ArgumentHelp("Only messages sent to run:R, agent:A, topic:T or pool.", valueName: "address"))
    var from: AddressArgument?
    /// How long the claim lasts.
    @Option(name: .customLong("lease-ms"), help: ArgumentHelp("The claim lasts this many milliseconds.", valueName: "ms"))
    var leaseMillis: Int64
    /// Expired claims before the message becomes a dead letter.
    @Option(name: .customLong("max-attempts"), help: ArgumentHelp("After this many expired claims the message fails (dead letter).", valueName: "n"))
    var maxAttempts: Int = 3
    /// Block until something is claimable.
    @Flag(help: "Block until something is claimable (or --timeout-ms passed), then claim it.")
    var wait = false
    /// How long `--wait` blocks.
    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp(
        "With --wait: give up after this many milliseconds, printing null (default: wait as long as it takes).", valueName: "ms"))
    var timeoutMillis: Int64?

    /// Rejects a lease or attempt count below 1, a negative timeout, and a timeout without
    /// `--wait`, as usage errors.
    func validate() throws {
        try Usage.requireDuration(leaseMillis, atLeast: 1, "--lease-ms")
        try Usage.require(maxAttempts, atLeast: 1, "--max-attempts")
        try Usage.requireDuration(timeoutMillis, atLeast: 0, "--timeout-ms")
        if timeoutMillis != nil && !wait { throw ValidationError("--timeout-ms needs --wait") }
    }

    /// Prints the claimed message (`claim`, `message`, `receipt`), or `null` when nothing is
    /// claimable — with `--wait`, once the timeout passed — (exit 0 either way). Atomic across
    /// processes: two claimers never hold the same message at once. No database is created.
    /// - Throws: `notMember`, `poolNotFound`, `invalidInput`; nothing is written.
    func run() async throws {
        let run = runID, queue = from?.address(in: target.pool).target
        let claimed = try await target.withPool { pool -> ClaimedMessage? in
            if let claimed = try await pool.claimNext(run, from: queue, leaseMillis: leaseMillis, maxAttempts: maxAttempts) {
                return claimed
            }
            guard wait else { return nil }
            return try await Self.firstClaim(of: try pool.claims(run, from: queue, leaseMillis: leaseMillis, maxAttempts: maxAttempts),
                                             clock: pool.store.clock, timeoutMillis: timeoutMillis)
        }
        guard let claimed else {
            return target.global.printNothing("nothing to claim for run '\(run)' in pool '\(target.pool)'")
        }
        try target.global.print(claimed) { claimed in
            Table.fields([
                ("message", claimed.message.messageID),
                ("from", claimed.message.from),
                ("to", Cell.address(claimed.message.to)),
                ("content", Cell.content(claimed.message)),
                ("status", claimed.receipt.status.rawValue),
            ] + ClaimTable.fields(claimed.claim))
        }
    }
}

extension ClaimCommand {
    /// The first message `stream` claims, or nil once `timeoutMillis` (on `clock`) passed first.
    /// A message claimed as the time runs out is still returned, never dropped with its claim
    /// held: the timeout only cancels the stream, which ends after the claim in progress.
    static func firstClaim(of stream: ClaimStream, clock: any AgentPoolClock, timeoutMillis: Millis?) async throws -> ClaimedMessage? {
        let claiming = Task {
            var claims = stream.makeAsyncIterator()
            return try await claims.next()
        }
        let timer = Task {
            guard let timeoutMillis else { return }
            try await clock.sleep(untilMillis: clock.nowMillis() + timeoutMillis)
            claiming.cancel()
        }
        defer { timer.cancel() }
        return try await claiming.value
    }
}

/// `agentpool complete POOL --id M --run R --token T`: completes a claimed message.
struct CompleteCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "complete",
        abstract: "Complete a claimed message (it becomes responded, reason completed) and print its receipt.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The claim being presented.
    @OptionGroup var claim: ClaimOptions

    /// Prints the receipt; repeating a completion that committed prints the same receipt.
    /// - Throws: `staleClaim` unless the token is the run's live claim on the message;
    ///   `notFound`, `invalidStateTransition`, `poolNotFound`; nothing is written.
    func run() async throws {
        try await target.printing(table: ReceiptTable.table) { try await $0.complete(claim.messageID, run: claim.runID, token: claim.token) }
    }
}

/// `agentpool release POOL --id M --run R --token T [--retry-after-ms N]`: gives a claimed
/// message back, claimable again at once or after a back-off.
struct ReleaseCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Give a claimed message back (claimable again at once, or after --retry-after-ms; not counted as an attempt) and print the claim.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The claim being presented.
    @OptionGroup var claim: ClaimOptions
    /// The back-off before the message may be claimed again.
    @Option(name: .customLong("retry-after-ms"),
            help: ArgumentHelp("Claimable again only after this many milliseconds (default 0: at once).", valueName: "ms"))
    var retryAfterMillis: Int64 = 0

    /// Rejects a negative or over-long back-off as a usage error.
    func validate() throws {
        try Usage.requireDuration(retryAfterMillis, atLeast: 0, "--retry-after-ms")
    }

    /// Prints the claim, now `open`; repeating a release that committed prints it again.
    /// - Throws: `staleClaim` unless the token is the run's live claim on the message;
    ///   `notFound`, `poolNotFound`; nothing is written.
    func run() async throws {
        try await target.printing(table: { Table.fields([("message", $0.messageID)] + ClaimTable.fields($0)) }) {
            try await $0.release(claim.messageID, run: claim.runID, token: claim.token, retryAfterMillis: retryAfterMillis)
        }
    }
}

/// `agentpool dead POOL`: the pool's dead letters.
struct DeadCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "dead",
        abstract: "List dead letters: messages failed with reason max_attempts and not re-sent yet.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// Prints the dead letters by message id (a JSON array of `claim`, `message`, `receipt`);
    /// only reads, never creates the database.
    /// - Throws: `poolNotFound`.
    func run() async throws {
        try await target.printing(table: { letters in
            Table(headers: ["MESSAGE", "FROM", "TO", "EXPIRED", "MAX_ATTEMPTS", "LAST_RUN", "CONTENT"],
                  rows: letters.sortedNaturally(by: \.message.messageID).map {
                      [$0.message.messageID, $0.message.from, Cell.address($0.message.to), "\($0.claim.expiredCount)",
                       "\($0.claim.maxAttempts)", $0.claim.runID, Cell.content($0.message)]
                  })
        }) { try await $0.deadLetters() }
    }
}

/// `agentpool resend POOL --id M`: re-sends a dead letter as a new message.
struct ResendCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "resend",
        abstract: "Re-send a dead letter as a new message (id M-resent, key K-resent) and print the new message's receipt.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The dead letter.
    @Option(name: .customLong("id"), help: ArgumentHelp("The dead letter's message id.", valueName: "message"))
    var messageID: String

    /// Prints the new message's receipt; repeating it prints the same receipt and writes nothing.
    /// - Throws: `notFound`; `invalidStateTransition` when the message is not a dead letter;
    ///   `notMember` when its sender left; `poolNotFound`; nothing is written.
    func run() async throws {
        try await target.printing(table: ReceiptTable.table) { try await $0.resend(messageID) }
    }
}

/// The claim a worker presents: the message, the run holding it and the fencing token.
struct ClaimOptions: ParsableArguments {
    /// The claimed message.
    @Option(name: .customLong("id"), help: ArgumentHelp("The claimed message id.", valueName: "message"))
    var messageID: String
    /// The run holding the claim.
    @Option(name: .customLong("run"), help: ArgumentHelp("The run holding the claim.", valueName: "run"))
    var runID: String
    /// The fencing token `claim` printed.
    @Option(help: ArgumentHelp("The claim's fencing token, as printed by claim.", valueName: "token"))
    var token: Int64
}

/// The table rendering of a claim record.
enum ClaimTable {
    /// One field per line (after the message's own): status, run, token, expiry, lease, attempts.
    static func fields(_ claim: MessageClaim) -> [(String, String)] {
        [
            ("claim_status", claim.status.rawValue),
            ("run", claim.runID),
            ("token", "\(claim.token)"),
            ("expires_at", Cell.time(claim.expiresAt)),
            ("lease_ms", "\(claim.leaseMillis)"),
            ("expired_count", "\(claim.expiredCount)"),
            ("max_attempts", "\(claim.maxAttempts)"),
            ("resent_as", claim.resentAs ?? "-"),
        ]
    }
}
