import AgentPool
import ArgumentParser
import Foundation

/// A message address as typed on the command line: `run:R`, `agent:A`, `topic:T` or `pool`
/// (`AddressTarget(spelled:pool:)`).
struct AddressArgument: ExpressibleByArgument, Sendable {
    /// The text as typed, known to spell an address.
    let text: String

    /// Accepts `run:R`, `agent:A`, `topic:T` or `pool`; nil (a usage error) for anything else,
    /// including an empty id.
    init?(argument: String) {
        guard AddressTarget(spelled: argument, pool: "") != nil else { return nil }
        text = argument
    }

    /// The library's address; `pool` addresses `poolID`.
    func address(in poolID: PoolID) -> Address {
        // The text was checked at parse time, so only the pool id is new here.
        Address(target: AddressTarget(spelled: text, pool: poolID)!)
    }
}

/// `agentpool send POOL …`: sends a message (or, with `--reply-to`, a reply) and prints its receipt.
struct SendCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message and print its receipt (the same key and message again writes nothing).",
        discussion: """
            The content travels as --body JSON (or --body-file PATH), as a --content reference, or \
            both. With --queue the message is work: any member the address selects when it claims \
            (see claim) may take it, members that join later included. A message that reaches no \
            recipient is recorded as failed (no_recipient): its receipt is printed and the exit \
            code is 4, unless --allow-no-recipient. --not-before holds a message back until an \
            instant, --after until other messages are responded (its status stays accepted \
            meanwhile); --priority orders claims.
            """)

    /// The global options and the pool.
    @OptionGroup var target: PoolArguments
    /// The message id.
    @Option(name: .customLong("id"), help: ArgumentHelp("The message id.", valueName: "message")) var messageID: String
    /// The sending run.
    @Option(help: ArgumentHelp("The sending run id.", valueName: "run")) var from: String
    /// Where the message goes.
    @Option(help: ArgumentHelp("run:R, agent:A, topic:T or pool.", valueName: "address")) var to: AddressArgument
    /// The content reference.
    @Option(help: ArgumentHelp("A reference to content stored elsewhere (required without --body).", valueName: "ref"))
    var content: String = ""
    /// The inline body, JSON.
    @Option(help: ArgumentHelp("The content itself: any JSON value (a string needs its quotes: '\"hi\"').", valueName: "json"))
    var body: String?
    /// The inline body, read from a file.
    @Option(name: .customLong("body-file"), help: ArgumentHelp("Read the JSON body from this file ('-' for stdin).", valueName: "path"))
    var bodyFile: String?
    /// Queued work instead of a delivery.
    @Flag(help: "Queue the message as work: claimable by whoever the address selects at claim time.")
    var queue = false
    /// Exit 0 even when the message reached nobody.
    @Flag(name: .customLong("allow-no-recipient"), help: "Exit 0 even when the message reached no recipient.")
    var allowNoRecipient = false
    /// The idempotency key.
    @Option(help: ArgumentHelp("The idempotency key.", valueName: "key")) var key: String
    /// The message this one answers.
    @Option(name: .customLong("reply-to"), help: ArgumentHelp("Answer this message (it becomes responded).", valueName: "message"))
    var replyTo: String?
    /// Absolute expiry, UTC milliseconds.
    @Option(name: .customLong("expires-at"), help: ArgumentHelp("Absolute expiry in UTC milliseconds.", valueName: "ms"))
    var expiresAt: Int64?
    /// Not delivered (nor claimable) before this instant, UTC milliseconds.
    @Option(name: .customLong("not-before"),
            help: ArgumentHelp("Hold the message back until this instant (UTC milliseconds): recorded now, delivered or claimable from then on.", valueName: "ms"))
    var notBefore: Int64?
    /// Claim priority: higher first.
    @Option(help: ArgumentHelp("Claim priority, -1000000 to 1000000 (higher is claimed first; equal priorities oldest first).", valueName: "n"))
    var priority: Int = 0
    /// Messages this one waits for.
    @Option(name: .customLong("after"),
            help: ArgumentHelp("Wait for this message to be responded before delivering (repeatable); one that fails or is cancelled fails this one.", valueName: "message"))
    var dependencies: [String] = []
    /// The sender's claim token on the message it answers.
    @Option(help: ArgumentHelp("With --reply-to: the claim token of the answered message, required once it was claimed.", valueName: "token"))
    var token: Int64?

    /// Rejects a token without `--reply-to`, both body options, no content at all, and a queued
    /// reply as usage errors.
    func validate() throws {
        if token != nil, replyTo == nil { throw ValidationError("--token is only meaningful with --reply-to") }
        if body != nil, bodyFile != nil { throw ValidationError("--body and --body-file exclude each other") }
        if content.isEmpty, body == nil, bodyFile == nil { throw ValidationError("a message needs --body, --body-file or --content") }
        if queue, replyTo != nil { throw ValidationError("--queue does not apply to a reply") }
        if replyTo != nil, notBefore != nil || !dependencies.isEmpty {
            throw ValidationError("a reply is delivered at once: --not-before and --after do not apply to --reply-to")
        }
    }

    /// Prints the receipt. With `--reply-to` the message is sent through `PoolHandle.reply`.
    /// - Throws: `notMember`, `idempotencyConflict`, `notFound`, `invalidStateTransition`,
    ///   `staleClaim`, `invalidInput`, `poolNotFound`; nothing is written. No database is created.
    func run() async throws {
        let message = Message(
            messageID: messageID, from: from, to: to.address(in: target.pool), contentRef: content,
            body: try JSONArgument.value(inline: body, file: bodyFile, option: bodyFile == nil ? "--body" : "--body-file"),
            idempotencyKey: key, replyTo: replyTo, expiresAtMillis: expiresAt, queued: queue,
            notBeforeMillis: notBefore, priority: priority, after: dependencies)
        let receipt = try await target.withPool { pool in
            if let replyTo {
                return try await pool.reply(to: replyTo, with: message, claimToken: token)
            }
            return try await pool.send(message)
        }
        try target.global.print(receipt, table: ReceiptTable.table)
        if receipt.status == .failed, receipt.reason == "no_recipient", !allowNoRecipient {
            throw CLIError.unreached("message '\(receipt.messageID)' reached no recipient (failed, no_recipient): " +
                "no member matches \(Cell.address(message.to)); send it with --queue to wait for a worker, or pass --allow-no-recipient")
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
                  rows: items.map { ["\($0.cursor)", $0.message.messageID, $0.message.from, $0.receipt.status.rawValue, Cell.content($0.message)] })
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
