// agentpool-torture: writer processes run random coordinator operations on one SQLite file and
// are killed with SIGKILL at random moments, round after round. After every round the file is
// checked: every acknowledged operation is present, no idempotency key is recorded twice, seqs
// are gapless, the snapshot equals the replay of the log, every registered wake that a committed
// record matches is triggered, and SQLite's integrity check passes.
//
//   swift run agentpool-torture --quick                   60 rounds × 3 writers: 180 kills (CI)
//   swift run -c release agentpool-torture --rounds 1000  the long mode
//
// A writer prints "ack …" only after the call returned, so an acknowledgement is a promise the
// file must keep whatever happens to the process afterwards.
import AgentPool
import AgentPoolSQLite
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == "--writer", arguments.count == 4 {
        try await TortureWriter.run(path: arguments[1], index: Int(arguments[2]) ?? 0, seed: UInt64(arguments[3]) ?? 1)
        exit(0)
    }
    var rounds = 60
    var writers = 3
    var seed: UInt64 = UInt64(Date().timeIntervalSince1970)
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        switch argument {
        case "--quick": rounds = 60
        case "--rounds": rounds = Int(iterator.next() ?? "") ?? rounds
        case "--writers": writers = Int(iterator.next() ?? "") ?? writers
        case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
        default:
            FileHandle.standardError.write(Data("usage: agentpool-torture [--quick] [--rounds N] [--writers N] [--seed S]\n".utf8))
            exit(2)
        }
    }
    let summary = try await TortureRun(rounds: rounds, writers: writers, seed: seed).run()
    print(summary.line)
    exit(summary.failures.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
