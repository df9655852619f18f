import AgentPool
import AgentPoolTestSupport
import Foundation
import Testing

/// One element of `agentpool members`' JSON array.
struct MemberRow: Decodable {
    var member: Member
    var lease: MemberLease?
    var renewedAt: Millis?
    var timeLeftMillis: Millis?

    enum CodingKeys: String, CodingKey { case member, lease, renewedAt = "renewed_at", timeLeftMillis = "time_left_ms" }
}

/// One element of `agentpool claims`' JSON array.
struct ClaimRow: Decodable {
    var claim: MessageClaim
    var message: Message?
    var receipt: Receipt?
    var ageMillis: Millis?
    var timeLeftMillis: Millis?

    enum CodingKeys: String, CodingKey { case claim, message, receipt, ageMillis = "age_ms", timeLeftMillis = "time_left_ms" }
}

/// The operator views, `members` and `claims`, run as real processes on a real file.
@Suite struct OperatorViewTests {
    @Test func membersListsEachMemberWithItsLeaseExpiryAndTimeLeft() async throws {
        let cli = try await CLIHarness.withPlainPool()
        for run in ["w-10", "w-2"] {
            try await cli.succeed(["join", "q", "--run", run, "--agent", "worker", "--topic", "tasks", "--lease-ms", "60000"])
        }
        let members = try await cli.succeed(["members", "q"]).decode([MemberRow].self)
        // JSON keeps the store's byte order.
        #expect(members.map(\.member.runID) == ["a", "b", "w-10", "w-2"])
        let plain = try #require(members.first)
        #expect(plain.member.agentID == "writer")
        #expect(plain.lease == nil && plain.timeLeftMillis == nil && plain.renewedAt == nil)
        #expect(members[1].member.topics == ["t"])
        for leased in members.suffix(2) {
            let lease = try #require(leased.lease)
            #expect(leased.member.agentID == "worker")
            #expect(leased.member.topics == ["tasks"])
            #expect(lease.runID == leased.member.runID)
            #expect(lease.leaseMillis == 60000)
            #expect(leased.renewedAt == lease.expiresAt - lease.leaseMillis)
            let left = try #require(leased.timeLeftMillis)
            #expect(left > 0 && left <= 60000)
        }

        let table = try await cli.succeed(["--format", "table", "members", "q"])
        #expect(table.lines.first?.split(separator: " ").map(String.init)
            == ["RUN", "AGENT", "TOPICS", "LEASE_MS", "RENEWED_AT", "EXPIRES_AT", "TIME_LEFT"])
        // Tables sort ids naturally: w-2 before w-10.
        #expect(table.lines.dropFirst().map { String($0.prefix { $0 != " " }) } == ["a", "b", "w-2", "w-10"])
        #expect(table.lines[3].contains("tasks") && table.lines[3].contains("60000"), "\(table)")
    }

    @Test func membersOfAPoolThatWasNeverOpenedIsPoolNotFound() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let result = try await cli.run(["members", "farm"])
        expectFailure(result, status: 1, "members farm")
        #expect(result.stderr == "error: \(AgentPoolError.poolNotFound("farm").description)\n")
    }

    @Test func claimsListsHolderTokenAgeExpiryAttemptsAndContent() async throws {
        let cli = try await CLIHarness.withPlainPool()
        for task in ["task-10", "task-2"] {
            try await cli.succeed(["send", "q", "--id", task, "--from", "a", "--to", "topic:t", "--content", "s3://tasks/\(task)", "--key", task])
        }
        let held = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        let second = try await cli.succeed(["claim", "q", "--run", "b", "--lease-ms", "60000"]).decode(ClaimedMessage.self)
        try await cli.succeed(["release", "q", "--id", second.message.messageID, "--run", "b", "--token", "\(second.token)"])
        #expect(held.message.messageID == "task-10")

        let claims = try await cli.succeed(["claims", "q"]).decode([ClaimRow].self)
        #expect(claims.map(\.claim.messageID) == ["task-10", "task-2"])
        let first = try #require(claims.first)
        #expect(first.claim == held.claim)
        #expect(first.message?.contentRef == "s3://tasks/task-10")
        #expect(first.receipt?.status == .delivered)
        let age = try #require(first.ageMillis), left = try #require(first.timeLeftMillis)
        #expect(age >= 0 && left > 0 && age + left == 60000)
        #expect(claims[1].claim.status == .open)
        #expect(claims[1].ageMillis == nil && claims[1].timeLeftMillis == nil)

        #expect(try await cli.succeed(["claims", "q", "--status", "held"]).decode([ClaimRow].self).map(\.claim.messageID) == ["task-10"])
        #expect(try await cli.succeed(["claims", "q", "--status", "open", "--run", "b"]).decode([ClaimRow].self).map(\.claim.messageID) == ["task-2"])
        #expect(try await cli.succeed(["claims", "q", "--run", "a"]).decode([ClaimRow].self).isEmpty)

        let table = try await cli.succeed(["--format", "table", "claims", "q"])
        #expect(table.lines.first?.split(separator: " ").map(String.init)
            == ["MESSAGE", "STATUS", "RUN", "TOKEN", "AGE", "EXPIRES_AT", "TIME_LEFT", "PRIORITY", "AFTER", "DUE", "ATTEMPTS", "CONTENT"])
        let rows = table.lines.dropFirst().map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map(\.first) == ["task-2", "task-10"])
        #expect(rows.first.map { Array($0.prefix(4)) + Array($0.suffix(2)) } == ["task-2", "open", "b", "1", "0/3", "s3://tasks/task-2"])
        #expect(rows.last.map { Array($0.prefix(4)) + Array($0.suffix(2)) } == ["task-10", "held", "b", "1", "0/3", "s3://tasks/task-10"])
    }

    @Test func anUnknownClaimStatusIsAUsageErrorNamingTheStatuses() async throws {
        let cli = try await CLIHarness.withPlainPool()
        let result = try await cli.run(["claims", "q", "--status", "completed"])
        expectFailure(result, status: 2, "claims --status completed")
        for status in ClaimStatus.allCases { #expect(result.stderr.contains(status.rawValue), "\(result)") }
    }
}
