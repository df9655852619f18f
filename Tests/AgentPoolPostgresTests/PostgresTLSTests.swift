#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Testing

/// Whether a TLS server is configured (under CI=true the tests run, and fail without one).
let tlsServerConfigured = ProcessInfo.processInfo.environment["AGENTPOOL_TEST_POSTGRES_TLS_URL"] != nil
    || ProcessInfo.processInfo.environment["CI"] == "true"
let tlsSkipReason = "TLS tests skipped: AGENTPOOL_TEST_POSTGRES_TLS_URL is not set (scripts/postgres-test-server start DIR --tls)"

/// TLS to a server whose certificate the test made (`scripts/postgres-test-server start DIR --tls`,
/// which `.ci/run` starts beside the plain one): libpq's `sslmode`s (issue 20, item 10).
@Suite(.enabled(if: tlsServerConfigured, Comment(rawValue: tlsSkipReason)))
struct PostgresTLSTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The TLS server's URL with a fresh schema and `parameters`.
    static func url(_ parameters: String) throws -> String {
        let base = try #require(environment["AGENTPOOL_TEST_POSTGRES_TLS_URL"], "AGENTPOOL_TEST_POSTGRES_TLS_URL is not set")
        return base + "?schema=tls_\(UInt32.random(in: 0...UInt32.max))&" + parameters
    }

    static var certificate: String {
        get throws { try #require(environment["AGENTPOOL_TEST_POSTGRES_TLS_CERT"], "AGENTPOOL_TEST_POSTGRES_TLS_CERT is not set") }
    }

    /// Opens a store at `url`, writes and reads a pool, and says whether its connection is TLS.
    static func roundTrip(_ url: String) async throws -> Bool {
        let store = try await PostgresStore.open(url: url)
        do {
            try await store.openPool("p")
            try await store.join("p", Member(runID: "r", agentID: "a"))
            #expect(try await store.snapshot("p").members.map(\.runID) == ["r"])
            let ssl = try await PostgresAdmin.execute(store.location, ["SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"])
            try await store.close()
            try await PostgresTestServer.dropSchema(url: url)
            return ssl == ["true"]
        } catch {
            try? await store.close()
            try? await PostgresTestServer.dropSchema(url: url)
            throw error
        }
    }

    @Test func requireEncryptsWithoutVerifyingASelfSignedCertificate() async throws {
        #expect(try await Self.roundTrip(try Self.url("sslmode=require")))
    }

    @Test func verifyFullRefusesAnUntrustedCertificateAndAcceptsItWithSslrootcert() async throws {
        let untrusted = try Self.url("sslmode=verify-full")
        var refused: AgentPoolError?
        do {
            let store = try await PostgresStore.open(url: untrusted)
            try await store.close()
        } catch let error as AgentPoolError {
            refused = error
        }
        #expect(refused?.kind == .storage, "\(String(describing: refused))")
        #expect(refused.map { !$0.message.isEmpty } == true)

        let trusted = try Self.url("sslmode=verify-full&sslrootcert=\(try Self.certificate)")
        #expect(try PostgresLocation(url: trusted).redacted.contains("sslmode=verify-full&sslrootcert="))
        #expect(try await Self.roundTrip(trusted))
        #expect(try await Self.roundTrip(try Self.url("sslmode=verify-ca&sslrootcert=\(try Self.certificate)")))
    }

    @Test func disableStaysPlainAndAnUnknownModeIsInvalidInput() async throws {
        #expect(try await Self.roundTrip(try Self.url("sslmode=disable")) == false)
        #expect(throws: AgentPoolError.self) { try PostgresLocation(url: try Self.url("sslmode=sometimes")) }
    }
}
#endif
