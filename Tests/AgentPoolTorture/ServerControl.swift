import Foundation

/// Stops and starts the throwaway PostgreSQL cluster of `scripts/postgres-test-server start DIR`
/// from inside a run: `crash` is `pg_ctl stop -m immediate` (every backend killed at once, no
/// checkpoint: recovery replays the WAL on the next start), `restart` starts it again on the same
/// port and returns once it accepts connections.
struct ServerControl {
    /// The cluster's directory (what `postgres-test-server start` was given).
    let directory: String
    /// `scripts/postgres-test-server` of this package.
    let script: String

    /// Finds the script above the executable (the build folder is inside the package) or in the
    /// current directory.
    init(directory: String) throws {
        self.directory = directory
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [String] = [FileManager.default.currentDirectoryPath + "/scripts/postgres-test-server"]
        while folder.path != "/" {
            candidates.insert(folder.path + "/scripts/postgres-test-server", at: 0)
            folder.deleteLastPathComponent()
        }
        guard let script = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TortureFailure("scripts/postgres-test-server not found above the executable or in the current directory")
        }
        self.script = script
    }

    /// Kills the server with an immediate shutdown.
    func crash() throws { try run("crash") }

    /// Starts the server again; returns once it accepts connections.
    func restart() throws { try run("restart") }

    /// Runs the script and waits for it with `waitpid`. (Foundation's `Process.waitUntilExit`
    /// did not return for `restart`: the script had exited, a zombie, while the server it
    /// started ran on, and the run hung.)
    private func run(_ command: String) throws {
        let arguments = [script, command, directory]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, 2, 1)  // its output to the parent's standard error
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, &actions, nil, &argv, environ)
        guard spawned == 0 else { throw TortureFailure("cannot start \(script): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            throw TortureFailure("postgres-test-server \(command) \(directory) failed (wait status \(status))")
        }
    }
}

/// A failure of the harness itself (not a finding about the store).
struct TortureFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
