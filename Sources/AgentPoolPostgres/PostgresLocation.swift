#if Postgres
import AgentPool
import Foundation

/// Where a PostgreSQL store lives: a `postgres://` or `postgresql://` URL, parsed.
///
/// Format: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME&sslmode=MODE&sslrootcert=FILE&connect_timeout=S&response_timeout=S]`,
/// with libpq's `sslmode`s: `disable` (also `allow`, `prefer`), `require`, `verify-ca`, `verify-full`;
/// `connect_timeout` (libpq's, whole seconds) and `response_timeout` (whole seconds) override
/// ``PostgresOptions/connectTimeout`` and ``PostgresOptions/responseTimeout``, so that tools
/// that take only a URL (the CLI) can bound their waits.
/// The port defaults to 5432, the user to `postgres`, the database to the user's name, and the
/// schema (the PostgreSQL schema holding the store's tables) to `agentpool`. User, password and
/// database may be percent-encoded. The password never appears in ``redacted`` nor in any error
/// message or log line of the library.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// How the connection is encrypted.
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain TCP (the default; meant for loopback and private networks).
        case disable
        /// TLS without verifying the server's certificate, as libpq's `require`: the traffic is
        /// encrypted, but an active attacker in the path could pose as the server. For a server
        /// with a self-signed certificate; use ``verifyFull`` wherever the certificate can be checked.
        case require
        /// TLS with the certificate verified against the trust roots (the system's, or
        /// `sslrootcert`), the host name not checked: libpq's `verify-ca`.
        case verifyCA = "verify-ca"
        /// TLS with the certificate verified and issued for the host connected to: libpq's
        /// `verify-full`.
        case verifyFull = "verify-full"
    }

    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The role to connect as.
    public var user: String
    /// The role's password, if any; never printed.
    public var password: String?
    /// The database name.
    public var database: String
    /// The PostgreSQL schema that holds the store's tables (several stores can share a database).
    public var schema: String
    /// Whether to use TLS, and how much of the server's certificate to verify.
    public var tls: TLSMode
    /// A PEM file of the certificates to trust instead of the system's (libpq's `sslrootcert`),
    /// for `verify-ca` and `verify-full`.
    public var rootCertificatePath: String?
    /// The URL's `connect_timeout`: overrides ``PostgresOptions/connectTimeout`` when set.
    public var connectTimeout: Duration?
    /// The URL's `response_timeout`: overrides ``PostgresOptions/responseTimeout`` when set.
    public var responseTimeout: Duration?

    /// Whether `location` names a PostgreSQL store (starts with `postgres://` or `postgresql://`)
    /// rather than a file path.
    public static func isPostgres(_ location: String) -> Bool {
        let lowered = location.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Parses `url`.
    ///
    /// - Throws: `invalidInput` (field `url`) for anything that is not a usable PostgreSQL URL;
    ///   the message shows the URL with its password redacted.
    public init(url: String) throws {
        let fail = { (reason: String) -> AgentPoolError in
            AgentPoolError.invalidInput(field: "url", "'\(PasswordRedaction.redact(url))' is not a PostgreSQL URL: \(reason)")
        }
        guard Self.isPostgres(url), let components = URLComponents(string: url) else {
            throw fail("expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw fail("no host") }
        self.host = host
        port = components.port ?? 5432
        user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = String(components.percentEncodedPath.drop { $0 == "/" })
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        schema = "agentpool"
        tls = .disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let value = item.value, Self.isPlainIdentifier(value) else {
                    throw fail("schema must be a lowercase identifier of at most 63 characters (a-z, 0-9, _)")
                }
                schema = value
            case "sslmode":
                if let value = item.value, ["disable", "allow", "prefer"].contains(value) {
                    tls = .disable
                } else if let value = item.value, let mode = TLSMode(rawValue: value) {
                    tls = mode
                } else {
                    throw fail("sslmode must be disable, require, verify-ca or verify-full")
                }
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw fail("sslrootcert must name a file") }
                rootCertificatePath = value
            case "connect_timeout", "response_timeout":
                guard let value = item.value, let seconds = Int(value), (1...86_400).contains(seconds) else {
                    throw fail("\(item.name) must be a whole number of seconds from 1 to 86400")
                }
                if item.name == "connect_timeout" { connectTimeout = .seconds(seconds) } else { responseTimeout = .seconds(seconds) }
            case "application_name":
                break  // accepted for compatibility with libpq URLs; not used
            default:
                throw fail("unknown parameter '\(item.name)'")
            }
        }
    }

    /// The URL with the password replaced by `***`: safe to print and log.
    public var redacted: String {
        var text = "postgres://\(user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user)"
        if password != nil { text += ":***" }
        let hostText = host.contains(":") ? "[\(host)]" : host
        text += "@\(hostText):\(port)/\(database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database)"
        var query: [String] = []
        if schema != "agentpool" { query.append("schema=\(schema)") }
        if tls != .disable { query.append("sslmode=\(tls.rawValue)") }
        if let rootCertificatePath {
            query.append("sslrootcert=\(rootCertificatePath.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? rootCertificatePath)")
        }
        if let connectTimeout { query.append("connect_timeout=\(connectTimeout.components.seconds)") }
        if let responseTimeout { query.append("response_timeout=\(responseTimeout.components.seconds)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    public var description: String { redacted }

    /// What `dump` and debuggers show: the redacted URL, never the password.
    public var customMirror: Mirror { Mirror(self, children: ["url": redacted], displayStyle: .struct) }

    /// A name safe to use unquoted in SQL: `[a-z_][a-z0-9_]*`, at most 63 bytes.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z"), digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard lower.contains(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { lower.contains($0) || digit.contains($0) || $0 == UInt8(ascii: "_") }
    }
}
#endif
