// A child process for the multi-process tests. Commands:
//   append   DB POOL WRITER COUNT   waits for a line on stdin, then records COUNT messages and
//                                  prints "ack <message id> <seq>" after each call returns
//   snapshot DB POOL                prints the pool's snapshot as JSON
import AgentPool
import AgentPoolSQLite
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(1)
}

func openStore(_ path: String) throws -> SQLiteStore {
    var options = SQLiteOptions()
    options.logger.logLevel = .warning
    return try SQLiteStore(path: path, options: options)
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "append" where arguments.count == 5:
        let (path, pool, writer, count) = (arguments[1], arguments[2], arguments[3], Int(arguments[4]) ?? 0)
        let store = try openStore(path)
        try await store.openPool(pool)
        try await store.join(pool, Member(runID: "writer-\(writer)", agentID: "writer"))
        _ = readLine()  // the barrier: every writer starts appending at the same moment
        for index in 0..<count {
            let id = "w\(writer)-m\(index)"
            let message = Message(messageID: id, from: "writer-\(writer)", to: .pool(pool), contentRef: "c", idempotencyKey: id)
            let record = try await store.recordMessage(pool, StoredMessage(message: message, receipt: Receipt(messageID: id, status: .accepted)))
            FileHandle.standardOutput.write(Data("ack \(id) \(record?.seq ?? -1)\n".utf8))
        }
        try await store.close()
    case "snapshot" where arguments.count == 3:
        let store = try openStore(arguments[1])
        print(try RecordCodec.encodeJSON(try await store.snapshot(arguments[2])))
        try await store.close()
    default:
        fail("usage: append DB POOL WRITER COUNT | snapshot DB POOL")
    }
} catch {
    fail("\(error)")
}
