import AgentPool
import Foundation
import HummingbirdTesting
import Testing

/// The read endpoints: each answers with the pool's state in the library's JSON encoding.
@Suite struct APIReadTests {
    @Test func poolsListsEveryPoolWithCounts() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools", method: .get) { response in
                #expect(response.status == .ok)
                let pools = try #require(response.json as? [[String: Any]])
                #expect(pools.map { $0["pool_id"] as? String } == ["review"])
                #expect(pools.first?["message_count"] as? Int == 4)
            }
        }
    }

    @Test func snapshotHasMembersAndMessages() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review", method: .get) { response in
                #expect(response.status == .ok)
                let snapshot = try #require(response.json as? [String: Any])
                #expect((snapshot["members"] as? [Any])?.count == 3)
                #expect((snapshot["messages"] as? [Any])?.count == 4)
            }
        }
    }

    @Test func membersShowLeaseAndTimeLeft() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/members", method: .get) { response in
                let members = try #require(response.json as? [[String: Any]])
                let reviewer = try #require(members.first { ($0["member"] as? [String: Any])?["run_id"] as? String == "reviewer-1" })
                #expect((reviewer["lease"] as? [String: Any])?["lease_millis"] as? Int == 60_000)
                #expect(reviewer["time_left_ms"] as? Int == 58_000)
            }
        }
    }

    @Test func claimsListHeldClaimsWithHolderTokenAgeAndTimeLeft() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/claims", method: .get) { response in
                let claims = try #require(response.json as? [[String: Any]])
                #expect(claims.count == 1)
                let claim = try #require(claims.first?["claim"] as? [String: Any])
                #expect(claim["message_id"] as? String == "job-held")
                #expect(claim["run_id"] as? String == "worker-1")
                #expect(claim["token"] != nil)
                #expect(claims.first?["age_ms"] as? Int == 0)
                #expect(claims.first?["time_left_ms"] as? Int == 30_000)
            }
        }
    }

    @Test func deadListsDeadLetters() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/dead", method: .get) { response in
                let dead = try #require(response.json as? [[String: Any]])
                #expect(dead.map { ($0["message"] as? [String: Any])?["message_id"] as? String } == ["job-dead"])
            }
        }
    }

    @Test func consumersListDurableConsumersWithLag() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        try await pool.consumer("indexer").ack(3)
        try await fixture.test { client in
            try await client.execute(uri: "/api/pools/review/consumers", method: .get) { response in
                let consumers = try #require(response.json as? [[String: Any]])
                #expect(consumers.first?["name"] as? String == "indexer")
                #expect((consumers.first?["lag"] as? Int ?? 0) > 0)
            }
        }
    }

    @Test func wakesListWakeConditions() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        try await pool.suspendUntil(WakeCondition(conditionID: "w-1", runID: "writer-1",
                                                  filter: EventFilter(kinds: .oneOf([.message(.delivered)]), targets: .oneOf(["writer-1"])),
                                                  idempotencyKey: "w-1"))
        try await fixture.test { client in
            try await client.execute(uri: "/api/pools/review/wakes", method: .get) { response in
                let wakes = try #require(response.json as? [[String: Any]])
                #expect(wakes.count == 1)
            }
        }
    }

    @Test func messagesArePagedAndFilteredByStatus() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/messages?limit=2", method: .get) { response in
                let page = try #require(response.json as? [String: Any])
                #expect(page["total"] as? Int == 4)
                #expect((page["messages"] as? [Any])?.count == 2)
            }
            try await client.execute(uri: "/api/pools/review/messages?status=responded", method: .get) { response in
                let page = try #require(response.json as? [String: Any])
                let ids = (page["messages"] as? [[String: Any]])?.map { ($0["message"] as? [String: Any])?["message_id"] as? String }
                #expect(ids == ["draft-1"])
            }
        }
    }

    @Test func recordsArePagedAfterACursor() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/records?after=2&limit=3", method: .get) { response in
                #expect(response.status == .ok)
                let records = try #require(response.json as? [[String: Any]])
                #expect(records.map { $0["seq"] as? Int } == [3, 4, 5])
            }
        }
    }

    @Test func metricsShowStoreCountersHTTPRequestsAndSSEClients() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("agentpool_records_appended_total"))
                #expect(response.text.contains("agentpool_dead_letters_total 1"))
                #expect(response.text.contains(#"agentpool_http_requests_total{method="GET",route="/api/pools",status="200"} 1"#))
                #expect(response.text.contains("agentpool_sse_clients 0"))
            }
        }
    }
}
