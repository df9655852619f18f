import AgentPool
import Foundation


/// A real child process running an executable of this package, with its output collected as it
/// arrives so that a test can wait for a line (a readiness signal) instead of sleeping.
public final class ChildProcess: Sendable {
    private let process: Process
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let outText = Locked("")
    private let errText = Locked("")
    private let closedStreams = Locked(0)
    private let arrivals = ChangeSignal()

    /// The helper executable built beside the test bundle.
    public static var helperURL: URL {
        get throws { try builtProduct(named: "AgentPoolTestHelper") }
    }

    /// Finds an executable built by this package next to the running test binary.
    public static func builtProduct(named name: String) throws -> URL {
        #if os(Linux)
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        #else
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        #endif
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(name) not found near the test binary"])
    }

    /// Starts `executable` with `arguments`; its standard input stays open until ``release()``.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits this process's.
    ///   - currentDirectory: the child's working directory; nil inherits this process's.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil, currentDirectory: URL? = nil) throws {
        // A child that exits before reading its input must not kill the test with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The reader threads hold the buffers, not `self`: a child process object dropped by a
        // test (also one that failed early) is deinitialized, which kills the child.
        let (outText, errText, arrivals, closedStreams) = (self.outText, self.errText, self.arrivals, self.closedStreams)
        for (handle, isOut) in [(output.fileHandleForReading, true), (errors.fileHandleForReading, false)] {
            let thread = Thread {
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    let text = String(decoding: chunk, as: UTF8.self)
                    if isOut { outText.withLock { $0 += text } } else { errText.withLock { $0 += text } }
                    arrivals.notify()
                }
                closedStreams.withLock { $0 += 1 }
                arrivals.notify()
            }
            thread.start()
        }
    }

    /// Kills the child if it is still running: no test leaves processes behind.
    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// The child's process id.
    public var pid: Int32 { process.processIdentifier }

    /// Writes a line to the child's standard input and closes it: the start signal of a barrier.
    public func release() {
        try? input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        try? input.fileHandleForWriting.close()
    }

    /// Everything the child printed on stdout so far.
    public var outputSoFar: String { outText.withLock { $0 } }

    /// Sends SIGKILL.
    public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Sends `signal` (e.g. SIGINT or SIGTERM), asking the child to stop on its own terms.
    public func send(signal: Int32) { Foundation.kill(process.processIdentifier, signal) }

    /// Waits until the child printed a line satisfying `predicate` and returns it; nil if its
    /// output ended first.
    public func line(where predicate: (String) -> Bool) async -> String? {
        while true {
            let generation = arrivals.generation
            let lines = outText.withLock { $0 }.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if let match = lines.first(where: predicate) { return match }
            if closedStreams.withLock({ $0 }) == 2 { return nil }
            await arrivals.wait(after: generation)
        }
    }

    /// Waits for the child to exit; returns its status and everything it printed.
    public func wait() async -> (status: Int32, stdout: String, stderr: String) {
        while closedStreams.withLock({ $0 }) < 2 {
            let generation = arrivals.generation
            if closedStreams.withLock({ $0 }) == 2 { break }
            await arrivals.wait(after: generation)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let process = self.process
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        return (process.terminationStatus, outText.withLock { $0 }, errText.withLock { $0 })
    }
}
