import AgentPool
import ArgumentParser
import Dispatch
import Foundation

/// `agentpool tail POOL`: the pool's records as JSON Lines, optionally following new ones live.
struct TailCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a pool's records as JSON Lines; with --follow, keep printing records as any process appends them.")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// Only records after this seq; by default every record the pool holds.
    @Option(help: ArgumentHelp("Only records after this seq (default: every record the pool still holds).", valueName: "seq"))
    var after: Int64?
    /// At most this many records (then stop, even with `--follow`).
    @Option(help: ArgumentHelp("At most this many records.", valueName: "n")) var limit: Int?
    /// Keep following until interrupted.
    @Flag(help: "Keep printing records appended by any process until SIGINT or SIGTERM (then exit 0).") var follow = false

    /// Rejects a negative cursor or a limit below 1 as a usage error.
    func validate() throws {
        try Usage.require(after, atLeast: 0, "--after")
        try Usage.require(limit, atLeast: 1, "--limit")
    }

    /// Prints one record per line, in seq order, each flushed as it is written: after `--after`,
    /// else from the start of what the pool holds (after its compaction point). With `--follow`,
    /// SIGINT and SIGTERM stop it cleanly (exit 0). Never creates the database.
    /// - Throws: `poolNotFound`; `cursorCompacted` for an `--after` below the compaction point;
    ///   `corruptRecord` for a record that cannot be decoded.
    func run() async throws {
        let format = target.global.format
        let after = self.after, limit = self.limit
        // Installed before anything is printed: once a follower saw a line, a signal stops it cleanly.
        let stopper = follow ? SignalStopper(signals: [SIGINT, SIGTERM]) : nil
        defer { stopper?.stop() }
        try await target.withPool { pool in
            let info = try await pool.store.read(pool.poolID) { try $0.requireInfo() }
            let after = after ?? info.compactedThrough
            if format == .table { Output.line(TailRow.header) }
            if !follow {
                var cursor = after
                var remaining = limit ?? Int.max
                while remaining > 0 {
                    let page = try await pool.store.records(pool.poolID, after: cursor, limit: min(remaining, 1000))
                    for record in page { try TailRow.print(record, format: format) }
                    guard let last = page.last else { break }
                    cursor = last.seq
                    remaining -= page.count
                }
                return
            }
            let watch = pool.watch(after: after)
            let printer = Task {
                var count = 0
                for try await record in watch {
                    try TailRow.print(record, format: format)
                    count += 1
                    if let limit, count >= limit { break }
                }
            }
            stopper?.onSignal { printer.cancel() }
            do {
                try await printer.value
            } catch is CancellationError {
                // Interrupted: a clean stop.
            }
        }
    }
}

/// How `tail` prints one record.
enum TailRow {
    /// The header of `--format table` (fixed-width columns, so that a live stream stays aligned).
    static let header = row("SEQ", "RECORDED_AT", "KIND", "SUMMARY")

    /// Prints `record` as one JSON line, or one fixed-width table row.
    static func print(_ record: PoolRecord, format: OutputFormat) throws {
        switch format {
        case .json: try Output.json(record)
        case .table: Output.line(row("\(record.seq)", Cell.time(record.recordedAt), record.kind.rawValue, Cell.summary(record.payload)))
        }
    }

    /// Pads the cells to the fixed column widths.
    private static func row(_ seq: String, _ time: String, _ kind: String, _ summary: String) -> String {
        seq.padding(toLength: 8, withPad: " ", startingAt: 0) + "  "
            + time.padding(toLength: 24, withPad: " ", startingAt: 0) + "  "
            + kind.padding(toLength: 13, withPad: " ", startingAt: 0) + "  " + summary
    }
}

/// Turns SIGINT/SIGTERM into a call of a handler instead of the default process kill, so that a
/// long-running verb can stop, close the store and exit 0.
final class SignalStopper: @unchecked Sendable {
    /// One dispatch source per signal, alive until ``stop()``.
    private let sources: [any DispatchSourceSignal]
    /// Guards ``handler`` and ``fired``.
    private let lock = NSLock()
    /// What to call on a signal; nil until ``onSignal(_:)``.
    private var handler: (@Sendable () -> Void)?
    /// Whether a signal arrived (so that a handler set later runs at once).
    private var fired = false

    /// Ignores `signals`' default action and routes them to ``onSignal(_:)``'s handler.
    init(signals: [Int32]) {
        let queue = DispatchQueue(label: "agentpool.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
        }
    }

    /// Sets the handler; if a signal already arrived, calls it at once.
    func onSignal(_ handler: @escaping @Sendable () -> Void) {
        let alreadyFired = lock.withLock {
            self.handler = handler
            return fired
        }
        if alreadyFired { handler() }
    }

    /// Stops listening (the signals stay ignored until the process exits).
    func stop() {
        for source in sources { source.cancel() }
    }

    /// Records the signal and calls the handler, if any.
    private func fire() {
        let handler = lock.withLock {
            fired = true
            return self.handler
        }
        handler?()
    }
}
