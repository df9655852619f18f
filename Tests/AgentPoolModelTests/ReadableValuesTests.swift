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
}
