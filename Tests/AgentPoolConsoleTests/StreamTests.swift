import AgentPool
import AgentPoolConformance
import HummingbirdTesting
import Testing

/// The live stream: Server-Sent Events whose ids are seqs, resumable with `Last-Event-ID`.
@Suite struct StreamTests {
    /// The `id:` lines of an SSE body.
    static func ids(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { $0.hasPrefix("id: ") ? Int($0.dropFirst(4)) : nil }
    }

    @Test func lastEventIDResumesAfterThatSeq() async throws {
        try await ConsoleFixture().test { client in
            try await client.execute(uri: "/api/pools/review/stream?limit=2", method: .get,
                                     headers: [.init("Last-Event-ID")!: "5"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                #expect(Self.ids(response.text) == [6, 7])
                #expect(response.text.contains(#"data: {"payload""#))
            }
        }
    }

    @Test func aRecordAppendedWhileStreamingArrivesLiveInOrder() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        let head = try await pool.snapshot().cursor ?? 0
        let registry = fixture.registry
        try await fixture.test { client in
            async let streamed = client.execute(uri: "/api/pools/review/stream?after=\(head - 1)&limit=3", method: .get) { response in
                Self.ids(response.text)
            }
            try await eventually("the stream is open") {
                registry.emitToString().contains("agentpool_sse_clients 1")
            }
            try await pool.send(Message(messageID: "live-1", from: "writer-1", to: .run("reviewer-1"), contentRef: "s3://jobs/1", idempotencyKey: "live-1"))
            let ids = try await streamed
            #expect(ids == Array(Int(head)...Int(head) + 2))
        }
    }

    @Test func manyStreamsOfOnePoolShareOneWatchAndEachGetsEveryRecord() async throws {
        let fixture = try await ConsoleFixture()
        let pool = try PoolHandle(ConsoleFixture.pool, store: fixture.store)
        let head = Int(try await pool.snapshot().cursor ?? 0)
        let registry = fixture.registry
        try await fixture.test { client in
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.execute(uri: "/api/pools/review/stream?after=\(head)&limit=4", method: .get) { Self.ids($0.text) }
                    }
                }
                // The default bound: in the whole suite on two busy cores these 20 in-process
                // requests were starved past 60 s in every local full run (once 114 s).
                try await eventually("20 streams are open") {
                    registry.emitToString().contains("agentpool_sse_clients 20")
                }
                for index in 0..<2 {
                    try await pool.send(Message(messageID: "fan-\(index)", from: "writer-1", to: .run("reviewer-1"), contentRef: "s3://jobs/1", idempotencyKey: "fan-\(index)"))
                }
                for try await ids in group {
                    #expect(ids == Array(head + 1...head + 4))
                }
            }
        }
    }
}
