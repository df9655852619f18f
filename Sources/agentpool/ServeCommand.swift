import AgentPool
import AgentPoolConsole
import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus

/// `agentpool serve [--host H] [--port N] [--token T | --token-file F] [--read-only]`: the web
/// console and HTTP API over the store's pools (docs/CONSOLE.md).
///
/// Prints `{"url": "http://HOST:PORT"}` on stdout once it listens, logs on stderr, and stops on
/// SIGINT/SIGTERM (exit 0). A host other than loopback without a token is refused at start
/// (exit 1, with the reason); so is a database that does not exist.
struct ServeCommand: AsyncParsableCommand {
    /// The verb's name and help.
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web console and the HTTP API (JSON, Server-Sent Events, /metrics) over the store's pools.",
        discussion: """
            Listens on 127.0.0.1:8080 by default. Any other address needs --token or --token-file: \
            every request must then carry the token (Authorization: Bearer TOKEN, or the cookie the \
            /login form sets). --read-only refuses every POST and DELETE with 403.
            """)

    /// The global options (`--db`, `--verbose`).
    @OptionGroup var global: GlobalOptions
    /// The address to bind.
    @Option(help: ArgumentHelp("The address to listen on (default 127.0.0.1; any other needs a token).", valueName: "host"))
    var host = "127.0.0.1"
    /// The port.
    @Option(help: ArgumentHelp("The TCP port (default 8080; 0 picks a free one, printed on stdout).", valueName: "port"))
    var port = 8080
    /// The token, given inline.
    @Option(help: ArgumentHelp("The token every request must carry (visible in ps: prefer --token-file).", valueName: "token"))
    var token: String?
    /// The token, read from a file.
    @Option(name: .customLong("token-file"), help: ArgumentHelp("A file whose first line is the token.", valueName: "file"))
    var tokenFile: String?
    /// Refuse mutations.
    @Flag(name: .customLong("read-only"), help: "Refuse every POST and DELETE (resend, release, compact, drop) with 403.")
    var readOnly = false
    /// The shortest time between two writes to one live stream.
    @Option(name: .customLong("stream-interval-ms"), help: ArgumentHelp("The shortest time between two writes to one live stream, 0...60000 (default 100): a record after a quiet spell goes at once, a steady flow in one write per interval.", valueName: "ms"))
    var streamIntervalMillis: Int64 = 100

    /// Rejects `--token` with `--token-file` as a usage error.
    func validate() throws {
        if token != nil, tokenFile != nil { throw ValidationError("--token and --token-file are exclusive") }
    }

    /// Bootstraps Prometheus as the swift-metrics backend, opens the store, and serves until a signal.
    /// - Throws: `invalidInput` for refused options (a public host without a token); the store's open errors.
    func run() async throws {
        var secret = token
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw CLIError.input("cannot read --token-file \(tokenFile)")
            }
            secret = String(text.split(whereSeparator: \.isNewline).first ?? "")
        }
        guard (0...60_000).contains(streamIntervalMillis) else {
            throw AgentPoolError.invalidInput(field: "stream-interval-ms", "--stream-interval-ms must be within 0...60000, got \(streamIntervalMillis)")
        }
        let options = ConsoleOptions(host: host, port: port, token: secret, readOnly: readOnly,
                                     streamWriteInterval: .milliseconds(streamIntervalMillis))
        try options.validate()
        // Before the store opens: its metrics bind to the factory bootstrapped now.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "agentpool.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = global.verbose ? .info : .warning
        try await global.withStore(.existing) { store in
            let console = Console(store: store, options: options, registry: registry)
            let app = try console.application(logger: logger) { port in
                Output.line((try? RecordCodec.encodeJSON(["url": "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"])) ?? "")
            }
            try await app.runService()
        }
    }
}
