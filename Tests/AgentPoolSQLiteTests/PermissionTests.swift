import AgentPool
import AgentPoolSQLite
import AgentPoolConformance
import AgentPoolTestSupport
import Foundation
import Testing

/// A read-only file and a read-only directory, tried by a process that permission bits apply to:
/// as root (CI) the helper runs as `nobody` through `setpriv`, since root ignores them.
@Suite struct PermissionTests {
    /// A copy of the helper in a directory everyone may enter: the build folder may sit under a
    /// path `nobody` cannot traverse (a home directory, say).
    static let helperCopy: Result<(TemporaryDirectory, URL), any Error> = Result {
        let directory = try TemporaryDirectory()
        chmod(directory.path, 0o755)
        let copy = URL(fileURLWithPath: "\(directory.path)/AgentPoolTestHelper")
        try ChildProcess.copyExecutable(try ChildProcess.helperURL, to: copy)
        return (directory, copy)
    }

    /// Runs the helper's `open DB` as an unprivileged user; returns its status and output.
    func openAsUnprivileged(_ path: String) async throws -> (status: Int32, output: String) {
        let helper = try Self.helperCopy.get().1
        let child = geteuid() == 0
            ? try ChildProcess(URL(fileURLWithPath: "/usr/bin/setpriv"),
                               ["--reuid=65534", "--regid=65534", "--clear-groups", helper.path, "open", path])
            : try ChildProcess(helper, ["open", path])
        let result = await child.wait()
        return (result.status, result.stdout + result.stderr)
    }

    /// A database with one pool in a fresh directory, everything owned by `nobody` when we are root.
    func makeDatabase() async throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/pool.sqlite"
        let store = try SQLiteStore(path: path, options: quietOptions())
        try await store.openPool("p")
        try await store.close()
        if geteuid() == 0 {
            for item in [directory.path] + (try FileManager.default.contentsOfDirectory(atPath: directory.path)).map({ "\(directory.path)/\($0)" }) {
                chown(item, 65534, 65534)
            }
        }
        chmod(directory.path, 0o755)
        return (directory, path)
    }

    @Test func anUnprivilegedProcessCanOpenADatabaseItOwns() async throws {
        let (directory, path) = try await makeDatabase()
        let result = try await openAsUnprivileged(path)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("opened"))
        _ = directory
    }

    @Test func aReadOnlyFileIsAStorageErrorAndStaysUntouched() async throws {
        let (directory, path) = try await makeDatabase()
        chmod(path, 0o444)
        let before = fileBytes(path)
        let result = try await openAsUnprivileged(path)
        #expect(result.status == 1)
        #expect(result.output.contains("error: storage 8 "), "\(result.output)")  // SQLITE_READONLY
        #expect(fileBytes(path) == before)
        _ = directory
    }

    @Test func aReadOnlyDirectoryIsAStorageErrorAndTheFileStaysUntouched() async throws {
        let (directory, path) = try await makeDatabase()
        let before = fileBytes(path)
        chmod(directory.path, 0o555)
        defer { chmod(directory.path, 0o755) }
        let result = try await openAsUnprivileged(path)
        #expect(result.status == 1)
        #expect(result.output.contains("error: storage 14 "), "\(result.output)")  // SQLITE_CANTOPEN
        #expect(result.output.contains("read-only"))
        #expect(fileBytes(path) == before)
    }

    @Test func aNewDatabaseInAReadOnlyDirectoryIsAStorageErrorAndNothingIsCreated() async throws {
        let (directory, _) = try await makeDatabase()
        chmod(directory.path, 0o555)
        defer { chmod(directory.path, 0o755) }
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let result = try await openAsUnprivileged("\(directory.path)/new.sqlite")
        #expect(result.status == 1)
        #expect(result.output.contains("error: storage 14 "), "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == before)
    }
}
