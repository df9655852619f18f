import AgentPool
import ArgumentParser
import Foundation

/// `agentpool wake POOL …`: registers a wake condition and, with `--wait`, blocks until it is final.
struct WakeCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "wake",
        abstract: "Register a wake condition; with --wait, block until it is final and print it.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The condition id.
    @Option(name: .customLong("id"), help: ArgumentHelp("The wake condition id.", valueName: "wake")) var conditionID: String
    /// The waiting run.
    @Option(name: .customLong("run"), help: ArgumentHelp("The waiting run id.", valueName: "run")) var runID: String
    /// Event kinds that trigger the wake; any when none. Only kinds that can fire a wake.
    @Option(name: .customLong("kind"), help: ArgumentHelp(
        "An event kind that triggers it (repeatable; default any): \(WakeCommand.acceptedKinds.joined(separator: ", ")).",
        valueName: "kind"))
    var kinds: [String] = []
    /// Which sources, targets and messages trigger the wake.
    @OptionGroup var events: EventFilterOptions
    /// Time after registration before the wake times out.
    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp("Time out after this many milliseconds (0: at once).", valueName: "ms"))
    var timeoutMillis: Int64?
    /// The idempotency key.
    @Option(help: ArgumentHelp("The idempotency key.", valueName: "key")) var key: String
    /// A matching event after this cursor triggers the wake at once.
    @Option(help: ArgumentHelp("A matching event after this seq triggers it at once.", valueName: "seq")) var since: Int64?
    /// Block until the registration is final.
    @Flag(help: "Block until the wake is triggered, timed out or cancelled, then print it.") var wait = false

    /// Rejects negative numbers, and a kind that can never fire a wake (a typo included), as a
    /// usage error; the latter names every valid kind.
    func validate() throws {
        try Usage.require(kinds, in: Self.acceptedKinds, "--kind")
        try Usage.require(timeoutMillis, atLeast: 0, "--timeout-ms")
        try Usage.require(since, atLeast: 0, "--since")
    }

    /// The kinds `--kind` accepts: those that can fire a wake, spelled as stored.
    static let acceptedKinds = EventKind.wakeTriggers.map(\.rawValue)

    /// Prints the registration: as registered (or already triggered), or, with `--wait`, once final.
    /// - Throws: `notMember`, `idempotencyConflict`, `invalidInput`, `poolNotFound`; nothing is
    ///   written. No database is created.
    func run() async throws {
        let condition = WakeCondition(
            conditionID: conditionID, runID: runID,
            filter: events.filter(kinds: kinds),
            idempotencyKey: key, timeoutMillis: timeoutMillis)
        try await target.printing(table: { registration in
            Table(headers: ["CONDITION", "RUN", "STATUS", "DEADLINE", "MATCHING_CURSOR"],
                  rows: [[registration.conditionID, registration.runID, registration.status.rawValue,
                          Cell.time(registration.deadlineMillis), Cell.number(registration.matchingCursor)]])
        }) { pool in
            let registered = try await pool.suspendUntil(condition, since: since)
            guard wait, !registered.status.isFinal else { return registered }
            return try await pool.wait(condition.conditionID)
        }
    }
}

