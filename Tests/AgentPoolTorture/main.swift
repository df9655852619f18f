// agentpool-torture: writer processes run random coordinator operations on one store and are
// killed with SIGKILL at random moments, round after round, while the parent follows the pool
// with a watcher. After every round the store is checked: every acknowledged operation is
// present, no idempotency key is recorded twice, seqs are gapless, the snapshot equals the replay
// of the log, every registered wake that a committed record matches is triggered, the watcher saw
// exactly the log, and (SQLite) the integrity check passes.
//
//   swift run agentpool-torture --quick                   60 rounds × 3 writers: 180 kills (CI)
//   swift run -c release agentpool-torture --rounds 1000  the long mode
//   swift run --traits Postgres agentpool-torture --quick --postgres URL
//                                                         the same on a PostgreSQL server (a fresh
//                                                         schema, dropped at the end)
//   … --postgres URL --restart-server DIR [--restart-every K]
//                                                         every K-th round (default 3) crashes the
//                                                         server of `scripts/postgres-test-server
//                                                         start DIR` (immediate shutdown) and
//                                                         restarts it while the writers send
//
// A writer prints "ack …" only after the call returned, so an acknowledgement is a promise the
// store must keep whatever happens to the process afterwards.
import AgentPool
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == "--writer", arguments.count == 4 {
        try await TortureWriter.run(location: arguments[1], index: Int(arguments[2]) ?? 0, seed: UInt64(arguments[3]) ?? 1)
        exit(0)
    }
    var rounds = 60
    var writers = 3
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970)
    var postgres: String?
    var serverDirectory: String?
    var restartEvery = 3
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--quick": rounds = 60
        case "--rounds": rounds = Int(iterator.next() ?? "") ?? rounds
        case "--writers": writers = Int(iterator.next() ?? "") ?? writers
        case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
        case "--postgres": postgres = iterator.next()
        case "--restart-server": serverDirectory = iterator.next()
        case "--restart-every": restartEvery = max(1, Int(iterator.next() ?? "") ?? restartEvery)
        default:
            FileHandle.standardError.write(Data("""
                usage: agentpool-torture [--quick] [--rounds N] [--writers N] [--seed S]
                                         [--postgres URL [--restart-server DIR [--restart-every K]]]

                """.utf8))
            exit(2)
        }
    }
    if serverDirectory != nil && postgres == nil {
        FileHandle.standardError.write(Data("error: --restart-server needs --postgres URL (the server of DIR)\n".utf8))
        exit(2)
    }
    var run = TortureRun(rounds: rounds, writers: writers, seed: seed,
                         target: try postgres.map(TortureTarget.postgres(baseURL:)) ?? TortureTarget.sqlite())
    run.server = try serverDirectory.map(ServerControl.init(directory:))
    run.restartEvery = restartEvery
    let summary = try await run.run()
    print(summary.line)
    exit(summary.failures.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
