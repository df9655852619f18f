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
    /// Alternative filters, each `kind=K,from=R,target=R,message=M` (keys repeatable, all optional).
    @Option(name: .customLong("any-of"), help: ArgumentHelp(
        "An alternative filter (repeatable): the wake triggers on the first event any of them matches and records which. " +
        "Facets separated by commas, each key repeatable: kind=K,from=R,target=R,message=M. Excludes --kind/--from/--target/--message.",
        valueName: "filter"))
    var anyOf: [String] = []

    /// The `--any-of` filters, in order.
    /// - Throws: a usage error naming a malformed facet or an unknown kind.
    func alternatives() throws -> [EventFilter] {
        try anyOf.map { text in
            var facets: [String: [String]] = [:]
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let equals = part.firstIndex(of: "="), ["kind", "from", "target", "message"].contains(String(part[..<equals])),
                      part.index(after: equals) < part.endIndex else {
                    throw ValidationError("--any-of takes kind=K,from=R,target=R,message=M (each optional and repeatable); got '\(text)'")
                }
                facets[String(part[..<equals]), default: []].append(String(part[part.index(after: equals)...]))
            }
            try Usage.require(facets["kind"] ?? [], in: Self.acceptedKinds, "--any-of kind")
            let options = try EventFilterOptions.parse(
                (facets["from"] ?? []).flatMap { ["--from", $0] } + (facets["target"] ?? []).flatMap { ["--target", $0] }
                    + (facets["message"] ?? []).flatMap { ["--message", $0] })
            return options.filter(kinds: facets["kind"] ?? [])
        }
    }

    /// Rejects negative numbers, a kind that can never fire a wake (a typo included), a malformed
    /// `--any-of`, and `--any-of` beside the single filter's options, as usage errors; an unknown
    /// kind names every valid one.
    func validate() throws {
        _ = try alternatives()
        if !anyOf.isEmpty, !kinds.isEmpty || events.filter(kinds: []) != EventFilter() {
            throw ValidationError("--any-of excludes --kind, --from, --target and --message: put each alternative in its own --any-of")
        }
        try Usage.require(kinds, in: Self.acceptedKinds, "--kind")
        try Usage.requireDuration(timeoutMillis, atLeast: 0, "--timeout-ms")
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
            idempotencyKey: key, timeoutMillis: timeoutMillis, anyOf: try alternatives())
        try await target.printing(table: { registration in
            Table(headers: ["CONDITION", "RUN", "STATUS", "DEADLINE", "MATCHING_CURSOR", "MATCHED_FILTER"],
                  rows: [[registration.conditionID, registration.runID, registration.status.rawValue,
                          Cell.time(registration.deadlineMillis), Cell.number(registration.matchingCursor),
                          Cell.number(registration.matchedFilter)]])
        }) { pool in
            let registered = try await pool.suspendUntil(condition, since: since)
            guard wait, !registered.status.isFinal else { return registered }
            return try await pool.wait(condition.conditionID)
        }
    }
}

/// `agentpool next POOL …`: waits for the first event after a cursor that matches, and prints it.
struct NextCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Wait for the first event after a cursor that matches; print it, or null after --timeout-ms.",
        discussion: """
            Writes nothing of its own (no wake condition, no id): it reads the log after --since \
            (default: the pool's cursor now, so only new events count), then sleeps at no CPU \
            until any process appends a match. While it waits it records deadlines as they pass \
            (a response timeout, a lease or claim running out), as wake --wait does.
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// Event kinds that match; any when none. Every kind, wake events included.
    @Option(name: .customLong("kind"), help: ArgumentHelp(
        "An event kind that matches (repeatable; default any): \(NextCommand.acceptedKinds.joined(separator: ", ")).",
        valueName: "kind"))
    var kinds: [String] = []
    /// Which sources, targets and messages match.
    @OptionGroup var events: EventFilterOptions
    /// The cursor after which events count.
    @Option(help: ArgumentHelp("Events after this seq count (default: the pool's cursor now).", valueName: "seq"))
    var since: Int64?
    /// How long to wait.
    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp(
        "Give up after this many milliseconds, printing null (0: look once; default: wait as long as it takes).", valueName: "ms"))
    var timeoutMillis: Int64?

    /// The kinds `--kind` accepts: every event kind, spelled as stored.
    static let acceptedKinds = EventKind.all.map(\.rawValue)

    /// Rejects an unknown kind (naming every valid one) and negative numbers as usage errors.
    func validate() throws {
        try Usage.require(kinds, in: Self.acceptedKinds, "--kind")
        try Usage.requireDuration(timeoutMillis, atLeast: 0, "--timeout-ms")
        try Usage.require(since, atLeast: 0, "--since")
    }

    /// Prints the event (`kind`, `cursor`, `source_run`, `targets`, `message_id`, `topic`), or
    /// `null` (json) or a line saying so (table) once the timeout passed; exit 0 either way.
    /// Never creates the database.
    /// - Throws: `poolNotFound`, `cursorCompacted`, `invalidInput`.
    func run() async throws {
        let filter = events.filter(kinds: kinds)
        let event = try await target.withPool { pool in
            let cursor: Seq
            if let since { cursor = since } else { cursor = try await pool.store.read(pool.poolID) { try $0.requireInfo().cursor } }
            return try await pool.next(matching: filter, since: cursor, timeoutMillis: timeoutMillis)
        }
        guard let event else { return target.global.printNothing("no matching event in pool '\(target.pool)'") }
        try target.global.print(event) { event in
            Table.fields([
                ("kind", event.kind.rawValue), ("cursor", "\(event.cursor)"), ("source_run", event.sourceRun ?? "-"),
                ("targets", Cell.list(event.targets)), ("message_id", event.messageID ?? "-"), ("topic", event.topic ?? "-"),
            ])
        }
    }
}
