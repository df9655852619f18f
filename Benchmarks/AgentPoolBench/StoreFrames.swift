import AgentPool
import AgentPoolSQLite
import AgentPoolStores
import Foundation

/// WAL frames (4 KiB pages) the store itself writes per commit: sequential appends and sends in
/// one process (one write per commit), counted by SQLite's WAL hook on the store's own
/// connection (``SQLiteOptions/walCommitHook``). Each frame is a `pwrite` at COMMIT and a page
/// copy at the next checkpoint: the figure issue 19 asks to bring down.
enum StoreFrames {
    struct Figures {
        var perAppend: Double
        var perSend: Double
    }

    /// Counts frames over `count` appends, then `count` sends, each on a fresh pool of one file.
    static func measure(directory: String, count: Int) async throws -> Figures {
        let counter = Locked((frames: 0, commits: 0, length: Int32(0)))
        var options = SQLiteOptions()
        options.logger = StoreLocation.quietLogger()
        options.walCommitHook = { walLength in
            counter.withLock { state in
                // After a checkpoint the next writer restarts the WAL: a shorter WAL is a new one.
                state.frames += Int(walLength > state.length ? walLength - state.length : walLength)
                state.commits += 1
                state.length = walLength
            }
        }
        let store = try SQLiteStore(path: "\(directory)/frames-\(UUID().uuidString).sqlite", options: options)
        let pool = try await Fixtures.openPool("p", in: store)
        func perCommit(_ body: () async throws -> Void) async throws -> Double {
            counter.withLock { $0.frames = 0; $0.commits = 0 }
            try await body()
            return counter.withLock { $0.commits == 0 ? 0 : Double($0.frames) / Double($0.commits) }
        }
        let perAppend = try await perCommit {
            for index in 0..<count {
                let message = Fixtures.message("append-\(index)")
                try await store.recordMessage("p", StoredMessage(message: message, receipt: Receipt(messageID: message.messageID, status: .accepted)))
            }
        }
        let perSend = try await perCommit {
            for index in 0..<count { _ = try await pool.send(Fixtures.message("send-\(index)")) }
        }
        try await store.close()
        return Figures(perAppend: perAppend, perSend: perSend)
    }
}
