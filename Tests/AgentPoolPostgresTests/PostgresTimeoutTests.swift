#if Postgres
import AgentPool
import AgentPoolPostgres
import AgentPoolTestSupport
import Foundation
import Testing

/// Every wait of the PostgreSQL backend is bounded, and every bound that passes is the retryable
/// `busy` with nothing written: a lock held by another client (`lock_timeout`), a statement the
/// server cancels (`statement_timeout`), a server that does not answer (the response timeout),
/// a server that is not there.
@Suite(requiresPostgres)
struct PostgresTimeoutTests {
    @Test func aWriteWaitingForAnotherClientsPoolLockPastTheLockTimeoutIsBusyAndWritesNothing() async throws {
        let schema = try TestSchema()
        let waiter = try schema.open { $0.lockTimeout = .milliseconds(300) }
        try await waiter.openPool("p")
        try await waiter.join("p", Member(runID: "a", agentID: "x"))
        let holder = try await PoolLockHolder(schema, pool: "p")

        let start = ContinuousClock.now
        let error = await agentPoolErrorOf { try await waiter.join("p", Member(runID: "b", agentID: "x")) }
        let waited = ContinuousClock.now - start
        #expect(error?.kind == .busy)
        #expect(error?.isRetryable == true)
        #expect(error?.message.contains("55P03") == true, "\(String(describing: error))")
        #expect(waited >= .milliseconds(250))  // it waited for the lock, it did not fail at once
        try await holder.release()
        #expect(try await waiter.snapshot("p").members.map(\.runID) == ["a"])

        try await waiter.join("p", Member(runID: "b", agentID: "x"))
        #expect(try await waiter.snapshot("p").members.map(\.runID) == ["a", "b"])
        try await waiter.close()
    }

    @Test func aStatementThatRunsPastTheStatementTimeoutIsBusyAndWritesNothing() async throws {
        let schema = try TestSchema()
        // The lock timeout is far away: what ends the wait is the server cancelling the statement.
        let lockTimeout: Duration = .seconds(60)
        let waiter = try schema.open {
            $0.lockTimeout = lockTimeout
            $0.statementTimeout = .milliseconds(300)
        }
        try await waiter.openPool("p")
        let holder = try await PoolLockHolder(schema, pool: "p")

        let start = ContinuousClock.now
        let error = await agentPoolErrorOf { try await waiter.join("p", Member(runID: "b", agentID: "x")) }
        let waited = ContinuousClock.now - start
        #expect(error?.kind == .busy)
        #expect(error?.message.contains("57014") == true, "\(String(describing: error))")
        #expect(error?.message.contains("statement timeout") == true)
        #expect(error?.message.contains("55P03") == false)  // not the lock timeout
        // It waited for the statement timeout, not at once, and ended well before the lock timeout
        // would have. (What it measures also holds the time the test's task waited to be resumed;
        // on a starved CI machine with every suite running that was once over 10 s, so the upper
        // bound is the lock timeout itself, and the SQLSTATE above names the cause.)
        #expect(waited >= .milliseconds(250) && waited < lockTimeout)
        try await holder.release()
        #expect(try await waiter.allRecords("p").map(\.kind) == [.poolOpened])
        try await waiter.close()
    }

    @Test func aServerThatGivesNoAnswerWithinTheResponseTimeoutIsBusyAndTheNextCallReconnects() async throws {
        let schema = try TestSchema()
        let setup = try schema.open()  // creating the tables is not what is timed here
        try await setup.openPool("p")
        try await setup.close()
        // The server waits for the lock without answering, as a partitioned network or a frozen
        // server would look from here; the client gives the connection up after 1.5 s (a bound
        // that a loaded test machine's ordinary statements stay well within).
        let waiter = try schema.open {
            $0.lockTimeout = .seconds(30)
            $0.responseTimeout = .milliseconds(1500)
        }
        let holder = try await PoolLockHolder(schema, pool: "p")

        let start = ContinuousClock.now
        let error = await agentPoolErrorOf { try await waiter.join("p", Member(runID: "b", agentID: "x")) }
        let waited = ContinuousClock.now - start
        #expect(error?.kind == .busy)
        #expect(error?.message.contains("response timeout") == true, "\(String(describing: error))")
        // Lost before its COMMIT was sent, it ran once more on a new connection: two bounds
        // (no upper bound asserted: a starved CI machine stretches connecting, not the rule).
        #expect(waited >= .milliseconds(1400))
        try await holder.release()
        // Its COMMIT was never sent: nothing of it was written, and a retry on `busy` writes it
        // once. (Retried on busy for up to 120 s, as a client would: in a full suite on two busy
        // cores ten 1.5 s attempts in a row once all timed out.)
        var retryError: AgentPoolError?
        let retryUntil = ContinuousClock.now + .seconds(120)
        repeat {
            retryError = await agentPoolErrorOf { _ = try await waiter.join("p", Member(runID: "b", agentID: "x")) }
        } while retryError?.kind == .busy && ContinuousClock.now < retryUntil
        #expect(retryError == nil)
        try await waiter.close()
        let reader = try schema.open()
        #expect(try await reader.allRecords("p").map(\.kind) == [.poolOpened, .memberJoined])
        try await reader.close()
    }

    @Test func anUnreachableServerIsBusyWithoutThePassword() async throws {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let location = try PostgresLocation(url: "postgres://agent:topsecret@127.0.0.1:1/agentpool")
        let error = await agentPoolErrorOf { _ = try PostgresStore(location: location) }
        #expect(error?.kind == .busy, "\(String(describing: error))")
        #expect(error?.message.contains("unavailable") == true)
        #expect(error?.message.contains("topsecret") == false)
        #expect(error?.message.contains("127.0.0.1") == true)
    }

    @Test func aURLsConnectAndResponseTimeoutsOverrideTheOptions() throws {
        let location = try PostgresLocation(url: "postgres://u@h/db?connect_timeout=3&response_timeout=7")
        #expect(location.connectTimeout == .seconds(3))
        #expect(location.responseTimeout == .seconds(7))
        #expect(location.redacted == "postgres://u@h:5432/db?connect_timeout=3&response_timeout=7")
        for bad in ["connect_timeout=0", "response_timeout=soon", "response_timeout=86401"] {
            #expect(throws: AgentPoolError.self) { try PostgresLocation(url: "postgres://u@h/db?\(bad)") }
        }
    }
}
#endif
