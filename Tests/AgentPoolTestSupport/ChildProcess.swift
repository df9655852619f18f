import Foundation

/// A real child process running the test helper executable, with its output collected.
public final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var collected: (out: Data, err: Data)?
    private let reader = DispatchGroup()
    private var outData = Data()
    private var errData = Data()

    /// The helper executable built beside the test bundle.
    public static var helperURL: URL {
        get throws { try builtProduct(named: "AgentPoolTestHelper") }
    }

    /// Finds an executable built by this package next to the running test binary.
    public static func builtProduct(named name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        #if os(Linux)
        directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        #endif
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(name) not found near the test binary"])
    }

    /// Starts `executable` with `arguments`; its standard input stays open until ``release()``.
    public init(_ executable: URL, _ arguments: [String]) throws {
        // A child that exits before reading its input must not kill the test with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain both pipes on background threads so that a chatty child never blocks on a full pipe.
        for (handle, isOut) in [(output.fileHandleForReading, true), (errors.fileHandleForReading, false)] {
            reader.enter()
            DispatchQueue.global().async { [self] in
                let data = handle.readDataToEndOfFile()
                if isOut { outData = data } else { errData = data }
                reader.leave()
            }
        }
    }

    /// Writes a line to the child's standard input and closes it: the start signal of a barrier.
    public func release() {
        try? input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        try? input.fileHandleForWriting.close()
    }

    /// Sends SIGKILL.
    public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Waits for the child to exit; returns its status and everything it printed.
    public func wait() async -> (status: Int32, stdout: String, stderr: String) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [self] in
                process.waitUntilExit()
                reader.wait()
                continuation.resume()
            }
        }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
