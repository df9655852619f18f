import AgentPool
import Foundation
import Testing

/// Errors and values print as what they are: the CLI's error line, the record JSON.
@Suite struct ReadableValuesTests {
    @Test func anErrorsLocalizedDescriptionIsItsDescriptionKindThenMessage() {
        let error = AgentPoolError.poolNotFound("farm")
        #expect(error.description == "poolNotFound: pool 'farm' does not exist (never opened, or dropped)")
        #expect(error.localizedDescription == error.description)
        #expect((error as any Error).localizedDescription == error.description)
    }

    @Test func anErrorDescriptionIsOneLineWithItsCode() {
        let error = AgentPoolError(kind: .storage, message: "disk I/O error\n  while writing\n\n", code: 10)
        #expect(error.description == "storage: disk I/O error while writing (code 10)")
        #expect(error.localizedDescription == error.description)
    }

    @Test func aReplyWithoutATokenToAHeldClaimSaysToPassTheToken() {
        let claim = MessageClaim(messageID: "job", status: .held, runID: "w1", token: 3, leaseMillis: 1000,
                                 expiresAt: 2000, maxAttempts: 3)
        let error = AgentPoolError.claimTokenMissing(claim, at: 1500)
        #expect(error.kind == .staleClaim)
        #expect(error.description == "staleClaim: message 'job' is claimed (token 3, held by run 'w1'): pass its claim token to reply")
        // Once its lease ran out the claim is no longer "held by" anyone: the advice changes.
        #expect(AgentPoolError.claimTokenMissing(claim, at: 2000).message
            == "message 'job' was claimed (token 3, by run 'w1') but the claim ran out: claim it again and pass the new claim token to reply")
    }

    static let stored = StoredMessage(
        message: Message(messageID: "m1", from: "r1", to: .run("r2"), contentRef: "s3://tasks/1", idempotencyKey: "k1"),
        receipt: Receipt(messageID: "m1", status: .delivered, deliveredTo: ["r2"], cursor: 4))

    @Test func aReceiptPrintsAsItsCompactJSON() throws {
        let text = "\(Self.stored.receipt)"
        #expect(text == #"{"cursor":4,"delivered_to":["r2"],"message_id":"m1","status":"delivered"}"#)
        #expect(String(describing: Receipt(messageID: "m2", status: .failed, reason: "no_recipient"))
            == #"{"message_id":"m2","reason":"no_recipient","status":"failed"}"#)
    }

    @Test func recordsMessagesRegistrationsAndClaimsPrintAsTheirRecordJSON() throws {
        let claim = MessageClaim(messageID: "m1", status: .held, runID: "r2", token: 1, leaseMillis: 100, expiresAt: 200, maxAttempts: 3)
        let registration = Registration(conditionID: "w1", runID: "r2", status: .triggered, matchingCursor: 4)
        let record = PoolRecord(poolID: "p", seq: 4, recordedAt: 1_700_000_000_000, payload: .runMessage(Self.stored))
        #expect(String(describing: Self.stored) == (try RecordCodec.encodeJSON(Self.stored)))
        #expect(String(describing: claim) == (try RecordCodec.encodeJSON(claim)))
        #expect(String(describing: registration) == (try RecordCodec.encodeJSON(registration)))
        #expect(String(describing: record) == (try RecordCodec.encodeJSON(record)))
        #expect(String(describing: registration) == #"{"condition_id":"w1","matching_cursor":4,"run_id":"r2","status":"triggered"}"#)
        // The JSON is the stored encoding: it decodes back to the same value.
        #expect(try JSONDecoder().decode(PoolRecord.self, from: Data(String(describing: record).utf8)) == record)
    }

    @Test func theWakeTriggeringKindsAreEveryEventKindButTheWakeEvents() {
        let kinds = EventKind.wakeTriggers
        #expect(Set(kinds).count == kinds.count)
        #expect(kinds.starts(with: [.poolCreated, .runJoined, .runLeft]))
        for status in MessageStatus.allCases { #expect(kinds.contains(.message(status))) }
        for status in WakeStatus.allCases { #expect(!kinds.contains(.wake(status))) }
        #expect(kinds.count == 3 + MessageStatus.allCases.count)
    }
}
