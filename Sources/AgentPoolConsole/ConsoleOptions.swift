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

    /// Options with the given values; see the properties for the defaults.
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, readOnly: Bool = false) {
        self.host = host
        self.port = port
        self.token = token
        self.readOnly = readOnly
    }

    /// Whether `host` names only this machine: `localhost`, `127.0.0.0/8` or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses options that would expose the store: a non-loopback host without a token, an
    /// empty token, a port outside 0…65535.
    ///
    /// - Throws: `invalidInput` naming the option and saying why; nothing is started.
    public func validate() throws {
        if let token, token.isEmpty {
            throw AgentPoolError.invalidInput(field: "token", "the token is empty; pass a non-empty --token or --token-file")
        }
        if !(0...65535).contains(port) {
            throw AgentPoolError.invalidInput(field: "port", "port \(port) is outside 0...65535")
        }
        if token == nil, !Self.isLoopback(host) {
            throw AgentPoolError.invalidInput(field: "host", """
                refusing to listen on \(host) without a token: anyone who can reach that address could read \
                and change every pool; pass --token T or --token-file F, or listen on 127.0.0.1
                """)
        }
    }
}
