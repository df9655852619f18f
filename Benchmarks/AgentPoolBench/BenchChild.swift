import Foundation

/// This executable started again as a child process in a benchmark role, its output read line by
/// line (blocking: the benchmark's parent has nothing else to do meanwhile).
final class BenchChild {
    let process = Process()
    private let output = Pipe()
    private let input = Pipe()
    private var pending = Data()
    private(set) var lines: [String] = []

    /// Starts `--child role arguments…`.
    init(role: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--child", role] + arguments
        process.standardOutput = output
        process.standardInput = input
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Writes a line to the child's stdin and closes it: the start signal of a barrier.
    func release() {
        try? input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        try? input.fileHandleForWriting.close()
    }

    /// Blocks until the child prints a line starting with `prefix`; returns it (nil at EOF).
    func line(startingWith prefix: String) -> String? {
        var searched = 0
        while true {
            while searched < lines.count {
                if lines[searched].hasPrefix(prefix) { return lines[searched] }
                searched += 1
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
    }

    /// Waits for exit; returns every line printed. Throws when the child failed.
    @discardableResult
    func finish() throws -> [String] {
        _ = line(startingWith: "\u{0}never")
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("child \(process.arguments ?? []) exited with \(process.terminationStatus)")
        }
        return lines
    }
}

/// CPU seconds (user + system) used so far by process `pid`, from /proc.
func cpuSeconds(of pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return .nan }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3 (index 0 here); utime and stime are fields 14 and 15.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// This process's peak resident set size in MiB (VmHWM).
func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
    return kilobytes / 1024
}
