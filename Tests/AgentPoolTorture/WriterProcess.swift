import AgentPool
import Foundation

/// One writer child process and the lines it printed so far, each with the moment it arrived,
/// read as they come (not only after the process ended), so that the parent can wait for a
/// writer to acknowledge something after a given moment.
final class WriterProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    /// Lines so far, with their arrival on the monotonic clock; `ended` once the pipe closed.
    private let state = Locked((lines: [(line: String, at: ContinuousClock.Instant)](), partial: Data(), ended: false))

    /// Starts `executable` with `arguments`; its standard error goes to the parent's.
    init(executable: URL, arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        let state = self.state
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            let now = ContinuousClock.now
            state.withLock { state in
                if data.isEmpty {
                    state.ended = true
                    handle.readabilityHandler = nil
                    return
                }
                state.partial += data
                while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                    state.lines.append((String(decoding: state.partial[state.partial.startIndex..<newline], as: UTF8.self), now))
                    state.partial = Data(state.partial[state.partial.index(after: newline)...])
                }
            }
        }
        try process.run()
    }

    /// Every complete line printed so far.
    var lines: [String] { state.withLock { $0.lines.map(\.line) } }

    /// The arrival of the first acknowledgement (a line starting "ack ") at or after `moment`.
    func firstAck(after moment: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        state.withLock { $0.lines.first { $0.at >= moment && $0.line.hasPrefix("ack ") }?.at }
    }

    /// Waits, at most `timeout`, until the writer acknowledged something at or after `moment`;
    /// returns when it did, or nil when the bound passed (or the writer ended) first.
    func waitForAck(after moment: ContinuousClock.Instant, timeout: Duration) async -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let at = firstAck(after: moment) { return at }
            if !process.isRunning { return nil }
            try? await Task.sleep(for: .milliseconds(5))  // a bounded poll of the lines read so far
        }
        return firstAck(after: moment)
    }

    /// Kills the writer with SIGKILL and waits until it is gone and its output is read to the end.
    /// Returns whether it was still running (killed) rather than already exited.
    func kill() async -> Bool {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let deadline = ContinuousClock.now + .seconds(10)
        while !state.withLock({ $0.ended }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))  // the pipe's end is reported on another thread
        }
        return process.terminationReason == .uncaughtSignal
    }
}
