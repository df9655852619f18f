// agentpool-mcp-agents: a planner and two workers, each an `agentpool mcp` server (a child
// process on one SQLite file), driven through the official Swift MCP SDK's client — what an MCP
// host does for three model agents. The planner queues four tasks on a topic; the workers claim
// and complete them concurrently, each result a reply to the planner; the planner waits for
// the four replies. Exits 0 when every task was answered exactly once.
//
//     swift build --product agentpool && swift run agentpool-mcp-agents [DB]
import AgentPoolMCP
import Foundation
import Logging
import MCP

/// One `agentpool mcp` child process and the client connected to it over its stdin/stdout.
struct Agent {
    let name: String
    let process: Process
    let stdin: FileHandle
    let client: Client

    /// Starts `agentpool --db DB mcp --pool demo --run RUN --agent AGENT [--topic T]…` and connects.
    static func start(_ executable: URL, db: String, run: String, agent: String, topics: [String] = []) async throws -> Agent {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--db", db, "mcp", "--pool", "demo", "--run", run, "--agent", agent] + topics.flatMap { ["--topic", $0] }
        let toServer = Pipe(), fromServer = Pipe()
        process.standardInput = toServer
        process.standardOutput = fromServer
        try process.run()
        let transport = StdioLineTransport(input: fromServer.fileHandleForReading.fileDescriptor,
                                           output: toServer.fileHandleForWriting.fileDescriptor,
                                           logger: Logger(label: "example.\(run)"))
        let client = Client(name: "example-\(run)", version: "1")
        _ = try await client.connect(transport: transport)
        return Agent(name: run, process: process, stdin: toServer.fileHandleForWriting, client: client)
    }

    /// Calls `tool` and returns its structured result; a tool error ends the example.
    func call(_ tool: String, _ arguments: [String: Value] = [:]) async throws -> [String: Value] {
        let context: RequestContext<CallTool.Result> = try await client.send(CallTool.request(.init(name: tool, arguments: arguments)))
        let result = try await context.value
        guard result.isError != true, let object = result.structuredContent?.objectValue else {
            throw ExampleFailure("\(name) \(tool): \(result.content)")
        }
        return object
    }

    /// Closes the server's stdin: it leaves the pool and exits.
    func stop() async {
        await client.disconnect()
        try? stdin.close()
        process.waitUntilExit()
    }
}

/// Why the example failed: printed, and the exit status is non-zero.
struct ExampleFailure: Error, CustomStringConvertible {
    let description: String
    /// A failure saying `description`.
    init(_ description: String) { self.description = description }
}

let arguments = CommandLine.arguments
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agentpool-mcp-agents-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
let db = arguments.count > 1 ? arguments[1] : directory.appendingPathComponent("pool.sqlite").path
// The `agentpool` built beside this program.
let cli = URL(fileURLWithPath: arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("agentpool")

let planner = try await Agent.start(cli, db: db, run: "planner", agent: "planner")
let workers = [
    try await Agent.start(cli, db: db, run: "worker-1", agent: "worker", topics: ["work"]),
    try await Agent.start(cli, db: db, run: "worker-2", agent: "worker", topics: ["work"]),
]

var tasks: [String: Int] = [:]
for n in 1...4 {
    let sent = try await planner.call("send", ["to": "topic:work", "body": ["square": .int(n)], "queue": true])
    tasks[sent["message_id"]!.stringValue!] = n
}
print("planner queued \(tasks.count) tasks on topic:work")

// Both workers claim until nothing is left; each result is the reply to the planner.
try await withThrowingTaskGroup(of: Void.self) { group in
    for worker in workers {
        group.addTask {
            while true {
                let claimed = try await worker.call("claim", ["from": "topic:work", "lease_ms": 30_000])
                guard claimed["claimed"] == true, let id = claimed["message_id"], let n = claimed["body"]?.objectValue?["square"]?.intValue else { return }
                _ = try await worker.call("complete", ["message_id": id, "body": ["result": .int(n * n), "by": .string(worker.name)]])
                print("\(worker.name) completed \(id.stringValue!) (\(n)² = \(n * n))")
            }
        }
    }
    try await group.waitForAll()
}

// The planner waits for the four replies.
var answers: [String: Int] = [:]
while answers.count < tasks.count {
    let arrived = try await planner.call("wait", ["timeout_ms": 30_000])
    guard arrived["timed_out"] != true else { throw ExampleFailure("the planner's wait timed out with \(answers.count) replies") }
    for message in arrived["messages"]?.arrayValue ?? [] {
        guard let object = message.objectValue, let task = object["reply_to"]?.stringValue,
              let result = object["body"]?.objectValue?["result"]?.intValue else { continue }
        guard answers[task] == nil else { throw ExampleFailure("task \(task) answered twice") }
        answers[task] = result
    }
}
for (task, n) in tasks.sorted(by: { $0.value < $1.value }) {
    guard answers[task] == n * n else { throw ExampleFailure("task \(task): \(answers[task].map(String.init) ?? "no answer")") }
}
print("planner got \(answers.count) answers: \(tasks.sorted { $0.value < $1.value }.map { answers[$0.key]! })")

for agent in [planner] + workers { await agent.stop() }
try? FileManager.default.removeItem(at: directory)
print("ok")
