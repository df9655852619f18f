import AgentPool
import ArgumentParser
import Foundation

/// `agentpool compact POOL --through N`: replaces a pool's older records with a checkpoint.
struct CompactCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Append a checkpoint holding the pool's snapshot and delete the records up to --through, in one transaction.",
        discussion: """
            Never past the slowest durable consumer unless --force. Afterwards tail and export start \
            after the compaction point; reading from below it is cursorCompacted (exit 1). A \
            compacted pool cannot be exported and imported again: copy it with backup.
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The last seq to delete.
    @Option(help: ArgumentHelp("Delete the records with seq up to this one (1…the pool's last seq).", valueName: "seq"))
    var through: Int64
    /// Compact past durable consumers.
    @Flag(help: "Compact past the slowest durable consumer (it loses the records it has not read).")
    var force = false

    /// Rejects a seq below 1 as a usage error.
    func validate() throws {
        try Usage.require(through, atLeast: 1, "--through")
    }

    /// Prints the checkpoint's seq, the compaction point and how many records were deleted; at or
    /// below the current compaction point nothing is written (`deleted` 0). No database is created.
    /// - Throws: `invalidInput` for a seq past the pool's cursor or (without `--force`) past the
    ///   slowest durable consumer; `poolNotFound`; nothing is written.
    func run() async throws {
        try await target.printing(table: { result in
            Table(headers: ["CHECKPOINT", "COMPACTED_THROUGH", "DELETED"],
                  rows: [[Cell.number(result.checkpoint), "\(result.compactedThrough)", "\(result.deleted)"]])
        }) { try await $0.compact(through: through, force: force) }
    }
}

/// `agentpool drop POOL`: removes a finished pool entirely.
struct DropCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Remove a pool entirely: its log, state, consumers, leases and claims (irreversible).")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments

    /// What `drop` prints.
    struct Result: Codable {
        /// The removed pool.
        var poolID: PoolID
        /// Always true: a pool that could not be dropped is an error.
        var dropped: Bool

        /// The JSON keys, in snake_case.
        enum CodingKeys: String, CodingKey { case poolID = "pool_id", dropped }
    }

    /// Removes the pool in one transaction and prints `{"dropped":true,"pool_id":…}`; the id may
    /// be opened again afterwards, as a new pool. No database is created.
    /// - Throws: `poolNotFound`; nothing is written.
    func run() async throws {
        try await target.printing(table: { (result: Result) in
            Table(headers: ["POOL", "DROPPED"], rows: [[result.poolID, "\(result.dropped)"]])
        }) { pool in
            try await pool.drop()
            return Result(poolID: pool.poolID, dropped: true)
        }
    }
}
