import Foundation

/// Helper processes that open one database at the same moment, for concurrent-upgrade tests:
/// each starts, says `ready`, waits for the go line, then opens the store and the pool `p`.
public enum SimultaneousOpeners {
    /// Starts `count` openers of `location`, releases them together once all are ready, and
    /// returns each one's exit status and output (`opened` on stdout when it succeeded).
    public static func run(_ location: String, count: Int = 8) async throws -> [(status: Int32, stdout: String, stderr: String)] {
        let helper = try ChildProcess.helperURL
        let openers = try (0..<count).map { _ in try ChildProcess(helper, ["openatgo", location]) }
        // An opener that never gets ready still exits (its output then lacks "opened").
        for opener in openers { _ = await opener.line { $0 == "ready" } }
        for opener in openers { opener.release() }
        var results: [(status: Int32, stdout: String, stderr: String)] = []
        for opener in openers { results.append(await opener.wait()) }
        return results
    }
}
