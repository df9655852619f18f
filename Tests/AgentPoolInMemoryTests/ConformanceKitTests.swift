import AgentPoolConformance
import Testing

/// The kit itself: checks are told apart by name, none passes unchecked, waits are bounded.
@Suite struct ConformanceKitTests {
    @Test func everyCheckHasAUniqueNameAndOnlyTheReopeningOnesAreLeftOutForANonPersistentBackend() {
        #expect(Set(Conformance.all.map(\.description)).count == Conformance.all.count)
        #expect(Conformance.all.filter(\.requiresPersistence).map(\.description).sorted() == [
            "ConsumerAndImport.aConsumersCursorSurvivesAReopen", "Replay.closingAndReopeningRehydratesEveryPool",
        ])
        #expect(Conformance.nonPersistent.count == Conformance.all.count - 2)
    }

    @Test func aCheckThatReopensRecordsAnIssueOnABackendThatIsNotPersistent() async throws {
        let check = try #require(Conformance.all.filter(\.requiresPersistence).first)
        await withKnownIssue { try await check.run(.inMemory) }
    }

    @Test func eventuallyReturnsOnceTheConditionHolds() async throws {
        var polls = 0
        try await eventually("the third poll") {
            polls += 1
            return polls == 3
        }
        #expect(polls == 3)
    }

    @Test func eventuallyRecordsAnIssueAndThrowsWhenTheDeadlinePassesFirst() async {
        await withKnownIssue {
            await #expect(throws: TimedOut.self) {
                try await eventually(within: .milliseconds(50), "a condition that never holds") { false }
            }
        }
    }

    @Test func boundedValueReturnsWhatTheTaskReturnsOrThrows() async throws {
        #expect(try await boundedValue(of: Task { 7 }, "a task that returns") == 7)
        await #expect(throws: CancellationError.self) {
            try await boundedValue(of: Task { throw CancellationError() }, "a task that throws")
        }
    }

    @Test func boundedValueCancelsTheTaskRecordsAnIssueAndThrowsWhenTheLimitPassesFirst() async {
        let endless = Task { () async throws -> Int in
            try await Task.sleep(for: .seconds(3_600))  // ends only when cancelled
            return 0
        }
        await withKnownIssue {
            await #expect(throws: TimedOut.self) {
                try await boundedValue(of: endless, within: .milliseconds(50), "a task that never ends")
            }
        }
        #expect(endless.isCancelled)
    }
}
