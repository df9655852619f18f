import AgentPool
import AgentPoolConsole
import Hummingbird
import HummingbirdTesting
import Testing

/// Every refusal: the token, the Origin, --read-only, bad input, a missing pool, a public bind.
@Suite struct RefusalTests {
    static let token = "s3cret-token"
    static let guarded = ConsoleOptions(token: token)

    @Test(arguments: ["/api/pools", "/api/pools/review", "/api/pools/review/stream", "/metrics"])
    func withATokenEveryRequestWithoutItIs401(_ path: String) async throws {
        try await ConsoleFixture().test(Self.guarded) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    @Test func aPageWithoutTheTokenIs401WithTheLoginForm() async throws {
        try await ConsoleFixture().test(Self.guarded) { client in
            try await client.execute(uri: "/pools/review", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.text.contains("<form method=\"post\" action=\"/login\">"))
                #expect(!response.text.contains("draft-1"))
            }
        }
    }

    @Test func aWrongBearerTokenIs401AndTheRightOneIsLetIn() async throws {
        try await ConsoleFixture().test(Self.guarded) { client in
            try await client.execute(uri: "/api/pools", method: .get, headers: [.authorization: "Bearer s3cret-tokeN"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/pools", method: .get, headers: [.authorization: "Bearer \(Self.token)"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func theLoginFormSetsACookieThatLetsPagesIn() async throws {
        try await ConsoleFixture().test(Self.guarded) { client in
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=wrong&next=%2F")) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
            let cookie = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "token=\(Self.token)&next=%2Fpools%2Freview")) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/pools/review")
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
                return String(setCookie.split(separator: ";")[0])
            }
            try await client.execute(uri: "/pools/review", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("draft-1"))
            }
        }
    }

    @Test func aLoginNeverRedirectsOffSite() async throws {
        try await ConsoleFixture().test(Self.guarded) { client in
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "token=\(Self.token)&next=%2F%2Fevil.example")) { response in
                #expect(response.headers[.location] == "/")
            }
        }
    }

    @Test(arguments: ["/api/pools/review/dead/job-dead/resend", "/api/pools/review/claims/job-held/release", "/api/pools/review/compact"])
    func readOnlyRefusesEveryPostWith403(_ path: String) async throws {
        try await ConsoleFixture().test(ConsoleOptions(readOnly: true)) { client in
            try await client.execute(uri: path, method: .post) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("--read-only"))
            }
        }
    }

    @Test func readOnlyRefusesDropWith403AndKeepsThePool() async throws {
        try await ConsoleFixture().test(ConsoleOptions(readOnly: true)) { client in
            try await client.execute(uri: "/api/pools/review", method: .delete) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/pools/review", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func aMutationFromAnotherOriginIs403() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/compact", method: .post,
                                     headers: [.origin: "http://evil.example"]) { response in
                #expect(response.status == .forbidden)
                #expect(response.text.contains("origin"))
            }
        }
    }

    @Test func aNonNumericCursorIs400() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/records?after=abc", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("invalidInput"))
            }
            try await client.execute(uri: "/api/pools/review/stream", method: .get, headers: [.init("Last-Event-ID")!: "x"]) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func aCompactedCursorIs400WithTheStoresErrorText() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        _ = try await pool.compact(through: 5)
        let expected: String
        do { _ = try await pool.records(after: 1, limit: 1); expected = "" } catch let error as AgentPoolError { expected = error.description }
        try await fixture.test { client in
            try await client.execute(uri: "/api/pools/review/records?after=1", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect((response.json as? [String: Any])?["error"] as? String == expected)
            }
            try await client.execute(uri: "/api/pools/review/stream?after=1", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.text.contains("cursorCompacted"))
            }
        }
    }

    @Test func aMissingPoolIs404() async throws {
        try await ConsoleFixture().test { client in
            for path in ["/api/pools/nope", "/api/pools/nope/members", "/api/pools/nope/stream", "/pools/nope"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                }
            }
        }
    }

    @Test(arguments: ["0.0.0.0", "192.168.1.10", "::"])
    func aPublicHostWithoutATokenIsRefused(_ host: String) throws {
        #expect(throws: AgentPoolError.self) { try ConsoleOptions(host: host).validate() }
        try ConsoleOptions(host: host, token: "t").validate()
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1"])
    func loopbackNeedsNoToken(_ host: String) throws {
        try ConsoleOptions(host: host).validate()
    }
}
