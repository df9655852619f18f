import AgentPool
import ArgumentParser
import Foundation

/// A message address as typed on the command line: `run:R`, `agent:A`, `topic:T` or `pool`.
enum AddressArgument: ExpressibleByArgument, Sendable {
    /// One run.
    case run(RunID)
    /// Every member run of an agent.
    case agent(AgentID)
    /// Every member subscribed to a topic.
    case topic(TopicID)
    /// Every member of the pool the message is sent in.
    case pool

    /// Parses `run:R`, `agent:A`, `topic:T` or `pool`; nil (a usage error) for anything else,
    /// including an empty id.
    init?(argument: String) {
        if argument == "pool" { self = .pool; return }
        guard let colon = argument.firstIndex(of: ":") else { return nil }
        let kind = argument[..<colon]
        let id = String(argument[argument.index(after: colon)...])
        guard !id.isEmpty else { return nil }
        switch kind {
        case "run": self = .run(id)
        case "agent": self = .agent(id)
        case "topic": self = .topic(id)
        default: return nil
        }
    }

    /// The library's address; `pool` addresses `poolID`.
    func address(in poolID: PoolID) -> Address {
        switch self {
        case .run(let id): .run(id)
        case .agent(let id): .agent(id)
        case .topic(let id): .topic(id)
        case .pool: .pool(poolID)
        }
    }
}

/// `agentpool send POOL …`: sends a message (or, with `--reply-to`, a reply) and prints its receipt.
struct SendCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message and print its receipt (the same key and message again writes nothing).")

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The message id.
    @Option(name: .customLong("id"), help: ArgumentHelp("The message id.", valueName: "message")) var messageID: String
    /// The sending run.
    @Option(help: ArgumentHelp("The sending run id.", valueName: "run")) var from: String
    /// Where the message goes.
    @Option(help: ArgumentHelp("run:R, agent:A, topic:T or pool.", valueName: "address")) var to: AddressArgument
    /// The content reference.
    @Option(help: ArgumentHelp("The content reference.", valueName: "ref")) var content: String
    /// The idempotency key.
    @Option(help: ArgumentHelp("The idempotency key.", valueName: "key")) var key: String
    /// The message this one answers.
    @Option(name: .customLong("reply-to"), help: ArgumentHelp("Answer this message (it becomes responded).", valueName: "message"))
    var replyTo: String?
    /// Absolute expiry, UTC milliseconds.
    @Option(name: .customLong("expires-at"), help: ArgumentHelp("Absolute expiry in UTC milliseconds.", valueName: "ms"))
    var expiresAt: Int64?
    /// The sender's claim token on the message it answers.
    @Option(help: ArgumentHelp("With --reply-to: the claim token of the answered message, required once it was claimed.", valueName: "token"))
    var token: Int64?

    /// Rejects a token without `--reply-to` as a usage error.
    func validate() throws {
        if token != nil, replyTo == nil { throw ValidationError("--token is only meaningful with --reply-to") }
    }

    /// Prints the receipt. With `--reply-to` the message is sent through `PoolHandle.reply`.
    /// - Throws: `notMember`, `idempotencyConflict`, `notFound`, `invalidStateTransition`,
    ///   `staleClaim`, `invalidInput`, `poolNotFound`; nothing is written. No database is created.
    func run() async throws {
        let message = Message(
            messageID: messageID, from: from, to: to.address(in: target.pool), contentRef: content,
            idempotencyKey: key, replyTo: replyTo, expiresAtMillis: expiresAt)
        try await target.printing(table: ReceiptTable.table) { pool in
            if let replyTo {
                return try await pool.reply(to: replyTo, with: message, claimToken: token)
            }
            return try await pool.send(message)
        }
    }
}

/// `agentpool inbox POOL --run R`: messages delivered to a run after a cursor.
struct InboxCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "inbox", abstract: "List the messages delivered to a run after a cursor.")

    /// The global options, the pool and the receiving run.
    @OptionGroup var member: RunArguments
    /// Only deliveries after this cursor.
    @Option(help: ArgumentHelp("Only deliveries after this seq.", valueName: "seq")) var after: Int64 = 0
    /// At most this many items.
    @Option(help: ArgumentHelp("At most this many items.", valueName: "n")) var limit: Int = 100

    /// Rejects a negative cursor or a limit below 1 as a usage error.
    func validate() throws {
        try Usage.require(after, atLeast: 0, "--after")
        try Usage.require(limit, atLeast: 1, "--limit")
    }

    /// Prints the items in delivery order (a JSON array); never creates the database.
    /// - Throws: `poolNotFound`.
    func run() async throws {
        try await member.target.printing(table: { items in
            Table(headers: ["CURSOR", "MESSAGE", "FROM", "STATUS", "CONTENT"],
                  rows: items.map { ["\($0.cursor)", $0.message.messageID, $0.message.from, $0.receipt.status.rawValue, $0.message.contentRef] })
        }) { try await $0.inbox(member.runID, after: after, limit: limit) }
    }
}

/// The table rendering of a receipt.
enum ReceiptTable {
    /// One row: message, status, recipients, cursor, reason.
    static func table(_ receipt: Receipt) -> Table {
        Table(headers: ["MESSAGE", "STATUS", "DELIVERED_TO", "CURSOR", "REASON"],
              rows: [[receipt.messageID, receipt.status.rawValue, Cell.list(receipt.deliveredTo),
                      Cell.number(receipt.cursor), receipt.reason ?? "-"]])
    }
}
