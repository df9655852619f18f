import AgentPool
import AgentPoolConsole
import Foundation
import HummingbirdTesting
import Testing

/// The operators' actions: each a POST (or DELETE) that changes the store through `PoolHandle`.
@Suite struct APIActionTests {
    @Test func resendReSendsADeadLetter() async throws {
        let fixture = try await ConsoleFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/api/pools/review/dead/job-dead/resend", method: .post) { response in
                #expect(response.status == .ok)
                #expect((response.json as? [String: Any])?["message_id"] as? String == "job-dead-resent")
            }
            try await client.execute(uri: "/api/pools/review/dead", method: .get) { response in
                #expect((response.json as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func releaseGivesAHeldClaimBack() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/claims/job-held/release", method: .post) { response in
                #expect(response.status == .ok)
                #expect((response.json as? [String: Any])?["status"] as? String == "open")
            }
            try await client.execute(uri: "/api/pools/review/claims/job-held/release", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func compactCheckpointsThroughTheCursor() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/compact?through=3", method: .post) { response in
                #expect(response.status == .ok)
                #expect((response.json as? [String: Any])?["compacted_through"] as? Int == 3)
            }
        }
    }

    @Test func deleteDropsThePool() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review", method: .delete) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/pools/review", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text.contains("poolNotFound"))
            }
        }
    }

    @Test func aMessageIDWithSlashesAndMarkupIsOnePathComponent() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        let id = "a/b <img src=x onerror=alert(1)>"
        try await pool.send(Message(messageID: id, from: "writer-1", to: .agent("worker"), contentRef: "s3://jobs/1", idempotencyKey: id, queued: true))
        _ = try await pool.claimNext("worker-1", leaseMillis: 30_000)
        try await fixture.test { client in
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/pools/review/claims/\(encoded)/release", method: .post) { response in
                #expect(response.status == .ok)
                #expect((response.json as? [String: Any])?["message_id"] as? String == id)
            }
        }
    }
}
