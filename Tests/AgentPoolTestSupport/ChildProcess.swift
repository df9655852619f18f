import AgentPool
import Foundation


/// A real child process running an executable of this package, with its output collected as it
/// arrives so that a test can wait for a line (a readiness signal) instead of sleeping.
///
/// Spawned with `posix_spawn`, not Foundation's `Process`: on Swift 6.3.1 for Linux,
/// `Process.run()` intermittently crashes (a 256-byte over-read of `/proc/self/fd` entries,
/// swift-corelibs-foundation PR #5472), seen once in a full CI run of this suite.
public final class ChildProcess: Sendable {
    private let processID: pid_t
    private let input: FileHandle
    private let exitStatus = Locked<Int32?>(nil)
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
        var command = [executable.path] + arguments
        if let currentDirectory {
            command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", currentDirectory.path] + command
        }
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        // Every pipe end is close-on-exec, created and spawned under one lock: a child spawned by
        // another test at the same moment inherits none of them (its copy of a write end would
        // keep this child's output from ever ending).
        let (pid, stdinWrite, stdoutRead, stderrRead) = try Self.spawnLock.withLock { () throws -> (pid_t, Int32, Int32, Int32) in
            let stdin = try Self.pipe(), stdout = try Self.pipe(), stderr = try Self.pipe()
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
            posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
            posix_spawn_file_actions_adddup2(&actions, stderr.write, 2)
            var pid: pid_t = 0
            let argv = command.map { strdup($0) } + [nil]
            let envp = environment.map { strdup($0) } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            let code = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
            for fd in [stdin.read, stdout.write, stderr.write] { close(fd) }
            guard code == 0 else {
                for fd in [stdin.write, stdout.read, stderr.read] { close(fd) }
                throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(command[0]): \(String(cString: strerror(code)))"])
            }
            return (pid, stdin.write, stdout.read, stderr.read)
        }
        processID = pid
        input = FileHandle(fileDescriptor: stdinWrite, closeOnDealloc: true)
        let output = FileHandle(fileDescriptor: stdoutRead, closeOnDealloc: true)
        let errors = FileHandle(fileDescriptor: stderrRead, closeOnDealloc: true)
        // The reader threads hold the buffers, not `self`: a child process object dropped by a
        // test (also one that failed early) is deinitialized, which kills the child.
        let (outText, errText, arrivals, closedStreams) = (self.outText, self.errText, self.arrivals, self.closedStreams)
        for (handle, isOut) in [(output, true), (errors, false)] {
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

    /// Serializes spawning (see ``init(_:_:environment:currentDirectory:)``). A plain NSLock:
    /// ThreadSanitizer reported a `Locked<Void>`'s zero-sized inout access as racing with the
    /// read of its lock field (a false positive, but a report fails the run).
    private static let spawnLock = NSLock()

    /// Copies the executable at `source` to `destination` while no child is being spawned: a
    /// child spawned while the copy is open for writing inherits that descriptor (Foundation does
    /// not open it close-on-exec) and keeps it for its whole life, and executing the copy then
    /// fails with "Text file busy" (ETXTBSY).
    public static func copyExecutable(_ source: URL, to destination: URL) throws {
        try spawnLock.withLock { try FileManager.default.copyItem(at: source, to: destination) }
    }

    /// A pipe whose two ends are close-on-exec.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Kills the child if it is still running: no test leaves processes behind; reaps it.
    deinit {
        if exitStatus.withLock({ $0 }) == nil {
            Foundation.kill(processID, SIGKILL)
            let pid = processID
            DispatchQueue.global().async {
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
            }
        }
    }

    /// The child's process id.
    public var pid: Int32 { processID }

    /// Writes a line to the child's standard input and closes it: the start signal of a barrier.
    public func release() {
        try? input.write(contentsOf: Data("go\n".utf8))
        try? input.close()
    }

    /// Writes `line` and a newline to the child's standard input, which stays open.
    public func write(line: String) {
        try? input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The CPU time (user + system) the child used so far, from `/proc/PID/stat`; nil once it is gone.
    public var cpuSeconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(processID)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Closes the child's standard input without writing to it: the child reads EOF.
    public func closeInput() {
        try? input.close()
    }

    /// Everything the child printed on stdout so far.
    public var outputSoFar: String { outText.withLock { $0 } }

    /// Sends SIGKILL.
    public func kill() { Foundation.kill(processID, SIGKILL) }

    /// Sends `signal` (e.g. SIGINT or SIGTERM), asking the child to stop on its own terms.
    public func send(signal: Int32) { Foundation.kill(processID, signal) }

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
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let (pid, exitStatus) = (processID, self.exitStatus)
            DispatchQueue.global().async {
                if let known = exitStatus.withLock({ $0 }) { return continuation.resume(returning: known) }
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
                // As Foundation's terminationStatus: the exit code, or the signal that ended it.
                let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
                exitStatus.withLock { $0 = $0 ?? code }
                continuation.resume(returning: exitStatus.withLock { $0 } ?? code)
            }
        }
        return (status, outText.withLock { $0 }, errText.withLock { $0 })
    }
}
