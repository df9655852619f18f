import AgentPool

/// How `agentpool serve` listens and whom it lets in.
///
/// The defaults are the safe ones: loopback only, no token, writes allowed. Binding any other
/// address needs a token (``validate()``).
public struct ConsoleOptions: Sendable, Equatable {
    /// The address to bind (default `127.0.0.1`).
    public var host: String
    /// The TCP port (default 8080; 0 picks a free one).
    public var port: Int
    /// The secret every request must carry (bearer header or the login cookie); nil: none asked.
    public var token: String?
    /// Whether every POST and DELETE is refused with 403.
    public var readOnly: Bool
    /// The shortest time between two writes to one live stream (default 100 ms): a record that
    /// arrives after a quiet spell goes out at once; under a steady flow, what arrives within the
    /// interval goes out in one write.
    ///
    /// why: 200 pages following a pool that takes 3,000 sends/s would otherwise mean 600,000
    /// socket writes a second, CPU taken from the processes that write (BENCHMARKS.md).
    public var streamWriteInterval: Duration
    /// The longest silence of a live stream with nothing new (default 15 s): then it writes a
    /// comment line, so proxies keep the connection open and a client that went away is noticed.
    public var streamHeartbeat: Duration

    /// Options with the given values; see the properties for the defaults.
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, readOnly: Bool = false,
                streamWriteInterval: Duration = .milliseconds(100), streamHeartbeat: Duration = .seconds(15)) {
        self.host = host
        self.port = port
        self.token = token
        self.readOnly = readOnly
        self.streamWriteInterval = streamWriteInterval
        self.streamHeartbeat = streamHeartbeat
    }

    /// Whether `host` names only this machine: `localhost`, `127.0.0.0/8` or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses options that would expose the store: a non-loopback host without a token, an
    /// empty token, a port outside 0…65535, a stream write interval outside 0…60 s, a heartbeat
    /// outside 10 ms…1 h.
    ///
    /// - Throws: `invalidInput` naming the option and saying why; nothing is started.
    public func validate() throws {
        if let token, token.isEmpty {
            throw AgentPoolError.invalidInput(field: "token", "the token is empty; pass a non-empty --token or --token-file")
        }
        if !(0...65535).contains(port) {
            throw AgentPoolError.invalidInput(field: "port", "port \(port) is outside 0...65535")
        }
        if streamWriteInterval < .zero || streamWriteInterval > .seconds(60) {
            throw AgentPoolError.invalidInput(field: "streamWriteInterval", "the stream write interval must be within 0...60 s, got \(streamWriteInterval)")
        }
        if streamHeartbeat < .milliseconds(10) || streamHeartbeat > .seconds(3600) {
            throw AgentPoolError.invalidInput(field: "streamHeartbeat", "the stream heartbeat must be within 10 ms...1 h, got \(streamHeartbeat)")
        }
        if token == nil, !Self.isLoopback(host) {
            throw AgentPoolError.invalidInput(field: "host", """
                refusing to listen on \(host) without a token: anyone who can reach that address could read \
                and change every pool; pass --token T or --token-file F, or listen on 127.0.0.1
                """)
        }
    }
}
