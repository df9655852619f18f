import AgentPool
import HummingbirdTesting
import Testing

/// The pages: server-rendered, every store value escaped, paged threads.
@Suite struct PageTests {
    @Test func poolsPageLinksEveryPool() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#"<a href="/pools/review">review</a>"#))
            }
        }
    }

    @Test func poolPageShowsThreadsMembersClaimsDeadLettersAndTheLogTail() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/pools/review", method: .get) { response in
                let page = response.text
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                for text in ["draft-1", "re-draft-1", "&quot;looks good&quot;", "reviewer-1", "data-expires-at", "job-held",
                             #"data-resend="job-dead""#, "id=\"log\"", "/pools/review/records/1", #"src="/console.js""#] {
                    #expect(page.contains(text), "\(text)")
                }
                // The reply is rendered inside its original's thread, after it.
                let original = try #require(page.range(of: "data-message=\"draft-1\""))
                let reply = try #require(page.range(of: "data-message=\"re-draft-1\""))
                #expect(original.lowerBound < reply.lowerBound)
            }
        }
    }

    @Test func everyStoreValueIsEscaped() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        let markup = "<img src=x onerror=alert(1)>"
        try await pool.join(Member(runID: "run-\(markup)", agentID: "agent-\(markup)"))
        try await pool.send(Message(messageID: "id-\(markup)", from: "writer-1", to: .agent("reviewer"),
                                    body: .string(markup), idempotencyKey: "k-\(markup)"))
        try await fixture.test { client in
            for path in ["/pools/review", "/pools/review/sections", "/pools/review/records/\(try await pool.snapshot().cursor ?? 1)"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(!response.text.contains("<img"), "\(path)")
                    #expect(response.text.contains("&lt;img src=x onerror=alert(1)&gt;"), "\(path)")
                }
            }
        }
    }

    @Test func threadsArePagedFiftyAtATime() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        for index in 0..<120 {
            try await pool.send(Message(messageID: "bulk-\(index)", from: "writer-1", to: .run("reviewer-1"), contentRef: "s3://jobs/1", idempotencyKey: "bulk-\(index)"))
        }
        try await fixture.test { client in
            try await client.execute(uri: "/pools/review/sections?page=0", method: .get) { response in
                #expect(response.text.components(separatedBy: "class=\"thread\"").count - 1 == 50)
                #expect(response.text.contains("bulk-119"))
                #expect(!response.text.contains("bulk-0<"))
                #expect(response.text.contains("page 1 of 3"))
            }
            try await client.execute(uri: "/pools/review/sections?page=2", method: .get) { response in
                #expect(response.text.contains("draft-1"))
            }
        }
    }

    @Test func theScriptIsServed() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/console.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("EventSource"))
            }
        }
    }
}
