import AgentPool
import Testing

/// Durable consumers through the pool handle.
enum DurableConsumerChecks {
    typealias F = CoordinatorFixture

    static func aConsumerResumesAfterItsLastAckAndReportsItsLag(_ harness: StoreFactory) async throws {
        let fixture = try await F.make(harness, members: [F.member("a"), F.member("b")])
        let consumer = try fixture.pool.consumer("indexer")
        #expect(try await consumer.cursor() == 0)
        var seen: [Seq] = []
        for try await record in try await consumer.records() {
            seen.append(record.seq)
            if record.seq == 2 { try await consumer.ack(record.seq) }
            if record.seq == 3 { break }
        }
        #expect(seen == [1, 2, 3])
        // Record 3 was processed but not acked: the at-least-once window sees it again.
        let again = try await consumer.records()
        var iterator = again.makeAsyncIterator()
        #expect(try await iterator.next()?.seq == 3)
        #expect(try await fixture.pool.consumers() == [ConsumerStatus(name: "indexer", cursor: 2, lag: 1, updatedAt: fixture.clock.nowMillis())])
    }
}

extension Conformance {
    static let durableConsumer: [ConformanceCheck] = [
        ConformanceCheck("DurableConsumer", "aConsumerResumesAfterItsLastAckAndReportsItsLag", DurableConsumerChecks.aConsumerResumesAfterItsLastAckAndReportsItsLag),
    ]
}
