import AgentPool
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a verb prints its result: JSON for programs (the default), aligned columns for people.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// One compact JSON document (JSON Lines for `tail` and `export`), keys sorted, snake_case.
    case json
    /// Aligned columns with a header line.
    case table
}

/// Writes to standard output and standard error without buffering, so that every line reaches a
/// pipe as soon as it is written (a follower reading `tail --follow` sees each record at once).
enum Output {
    /// Writes `text` followed by a newline to standard output, all of it, before returning.
    static func line(_ text: String) {
        write(fd: 1, text + "\n")
    }

    /// Prints `value` as one compact JSON document on one line, encoded by ``RecordCodec``.
    static func json<T: Encodable>(_ value: T) throws {
        line(try RecordCodec.encodeJSON(value))
    }

    /// Prints `table` with its columns aligned.
    static func table(_ table: Table) {
        let text = table.rendered()
        if !text.isEmpty { write(fd: 1, text) }
    }

    /// Writes `text` followed by a newline to standard error.
    static func error(_ text: String) {
        write(fd: 2, text + "\n")
    }

    /// Whether standard error is a terminal: progress is shown only then.
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Shows `text` as a progress line on standard error, overwriting the previous one; does
    /// nothing unless standard error is a terminal.
    static func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        write(fd: 2, "\r\u{1B}[2K" + text)
    }

    /// Ends a progress line started by ``progress(_:)``; does nothing unless stderr is a terminal.
    static func endProgress() {
        guard stderrIsTerminal else { return }
        write(fd: 2, "\r\u{1B}[2K")
    }

    /// Writes every byte of `text` to `fd`, retrying short writes; gives up silently when the
    /// reader went away (EPIPE), since there is no one left to tell.
    private static func write(fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(fd, buffer.baseAddress, buffer.count)
                #else
                Darwin.write(fd, buffer.baseAddress, buffer.count)
                #endif
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Rows of text printed with aligned columns: each column as wide as its widest cell, two spaces
/// between columns, no trailing blanks.
struct Table: Sendable {
    /// The header cells, printed first.
    var headers: [String]
    /// The rows; each has as many cells as ``headers``.
    var rows: [[String]]

    /// The table as text, one line per row (header included), each ending in a newline.
    func rendered() -> String {
        let all = [headers] + rows
        var widths = Array(repeating: 0, count: headers.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var text = ""
        for row in all {
            var line = ""
            for (index, cell) in row.enumerated() {
                if index > 0 { line += "  " }
                line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }

    /// Key-value rows (a two-column table without a header) for single objects.
    static func fields(_ pairs: [(String, String)]) -> Table {
        Table(headers: ["FIELD", "VALUE"], rows: pairs.map { [$0.0, $0.1] })
    }
}

/// Human-readable renderings of model values for table cells.
enum Cell {
    /// A UTC timestamp in ISO 8601 with milliseconds, or `-` when absent.
    static func time(_ millis: Millis?) -> String {
        guard let millis else { return "-" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(millis) / 1000))
    }

    /// A number, or `-` when absent.
    static func number<N: BinaryInteger>(_ value: N?) -> String {
        value.map { "\($0)" } ?? "-"
    }

    /// A duration as people read it — `850ms`, `29.5s`, `4m05s`, `2h03m` — a negative one as
    /// `overdue …`, or `-` when absent.
    static func duration(_ millis: Millis?) -> String {
        guard let millis else { return "-" }
        if millis < 0 { return "overdue " + duration(-millis) }
        if millis < 1000 { return "\(millis)ms" }
        if millis < 60_000 { return "\(millis / 1000).\(millis % 1000 / 100)s" }
        func twoDigits(_ value: Millis) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let seconds = millis / 1000
        if seconds < 3600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        return "\(seconds / 3600)h\(twoDigits(seconds % 3600 / 60))m"
    }

    /// What a message carries, for a table: its content reference, else its body's JSON cut to
    /// 48 characters (`…` marks the cut), else `-`.
    static func content(_ message: Message) -> String {
        if !message.contentRef.isEmpty { return message.contentRef }
        guard let body = message.body else { return "-" }
        let json = (try? RecordCodec.encodeJSON(body)) ?? "?"
        return json.count > 48 ? String(json.prefix(47)) + "…" : json
    }

    /// A comma-separated list, or `-` when empty.
    static func list(_ values: [String]) -> String {
        values.isEmpty ? "-" : values.joined(separator: ",")
    }

    /// An address as the CLI spells it: `run:R`, `agent:A`, `topic:T` or `pool`.
    static func address(_ address: Address) -> String { address.target.spelled }

    /// A one-line summary of a record's payload for `tail --format table`.
    static func summary(_ payload: RecordPayload) -> String {
        switch payload {
        case .poolOpened(let config):
            "required=\(list(config.messagePolicy.requiredPolicyRefs)) policies=\(list(config.policyRefs))"
        case .poolCreated:
            "-"
        case .memberJoined(let member), .memberLeft(let member, _):
            "run=\(member.runID) agent=\(member.agentID)"
        case .runMessage(let stored):
            "message=\(stored.message.messageID) status=\(stored.receipt.status.rawValue) from=\(stored.message.from) to=\(address(stored.message.to))"
        case .wake(let stored):
            "condition=\(stored.condition.conditionID) status=\(stored.registration.status.rawValue) run=\(stored.registration.runID)"
        case .checkpoint(let snapshot):
            "members=\(snapshot.members.count) messages=\(snapshot.messages.count) wakes=\(snapshot.wakes.count)"
        }
    }
}

/// The order of ids in tables: runs of digits compare as numbers (`task-2` before `task-10`),
/// everything else byte by byte. JSON output keeps the store's byte order; only the rows people
/// read are re-sorted.
enum NaturalOrder {
    /// Whether `a` sorts before `b`. A strict total order: ids equal but for leading zeros
    /// (`a01`, `a1`) fall back to byte order.
    static func precedes(_ a: String, _ b: String) -> Bool {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        var left = a.utf8[...], right = b.utf8[...]
        while let x = left.first, let y = right.first {
            guard isDigit(x), isDigit(y) else {
                if x != y { return x < y }
                left = left.dropFirst()
                right = right.dropFirst()
                continue
            }
            let leftDigits = left.prefix(while: isDigit), rightDigits = right.prefix(while: isDigit)
            let leftNumber = leftDigits.drop(while: { $0 == 0x30 }), rightNumber = rightDigits.drop(while: { $0 == 0x30 })
            if leftNumber.count != rightNumber.count { return leftNumber.count < rightNumber.count }
            if !leftNumber.elementsEqual(rightNumber) { return leftNumber.lexicographicallyPrecedes(rightNumber) }
            left = left.dropFirst(leftDigits.count)
            right = right.dropFirst(rightDigits.count)
        }
        if left.isEmpty != right.isEmpty { return left.isEmpty }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension Sequence {
    /// The elements in ``NaturalOrder`` of the id `key` gives, for table rows.
    func sortedNaturally(by key: (Element) -> String) -> [Element] {
        sorted { NaturalOrder.precedes(key($0), key($1)) }
    }
}
