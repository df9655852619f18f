/// A member that keeps itself alive: it heartbeats in the background, at a third of its lease,
/// for as long as the value lives, and leaves the pool when it is dropped.
///
/// Made by ``PoolHandle/joinLeased(_:leaseMillis:)``. If the process dies, the heartbeats stop
/// and the lease runs out: the member is removed (`member_left`, reason `lease_expired`) and its
/// claims come back, as for any leased member.
///
/// ```swift
/// let member = try await pool.joinLeased(Member(runID: "worker-1", agentID: "worker"), leaseMillis: 15_000)
/// for try await task in try pool.claims(member.runID, from: .topic("tasks"), leaseMillis: 30_000) { … }
/// try await member.leave()
/// ```
///
/// - ``leave()`` stops the heartbeat, then leaves the pool, releasing the run's claims.
/// - Dropping the last reference (deinit) stops the heartbeat and leaves in a task of its own,
///   best effort: an error there is not reported, and a process that exits at once may end
///   before it runs (the lease then expires instead).
/// - The heartbeat stops by itself at the first error retrying cannot fix — `notMember` once the
///   member was removed (its lease ran out while the process was stalled, or another process
///   made it leave), `poolNotFound`, a closed store — and records it in ``heartbeatFailure``; it
///   does not join again. A `busy` database is retried at the next beat.
public final class LeasedMember: Sendable {
    /// The member's run.
    public let runID: RunID
    private let pool: PoolHandle
    private let state: Locked<State>
    private let heartbeats: Task<Void, Never>

    private enum State {
        case beating
        case failed(AgentPoolError)
        case left
    }

    /// The error that stopped the heartbeat by itself (see ``LeasedMember``); nil while it runs
    /// and when ``leave()`` stopped it.
    public var heartbeatFailure: AgentPoolError? {
        state.withLock { state in
            if case .failed(let error) = state { return error }
            return nil
        }
    }

    init(pool: PoolHandle, runID: RunID, leaseMillis: Millis) {
        self.pool = pool
        self.runID = runID
        let state = Locked(State.beating)
        self.state = state
        // The task holds what it needs, never `self`: the member can be dropped while it beats.
        heartbeats = Task { await Self.beat(pool, runID, every: max(1, leaseMillis / 3), state) }
    }

    /// Renews the lease every `period` (store clock) until cancelled or stopped by an error.
    private static func beat(_ pool: PoolHandle, _ run: RunID, every period: Millis, _ state: Locked<State>) async {
        let clock = pool.store.clock
        while true {
            do { try await clock.sleep(untilMillis: clock.nowMillis() + period) } catch { return }
            if Task.isCancelled { return }
            do {
                _ = try await pool.heartbeat(run)
            } catch let error as AgentPoolError where error.isRetryable {
                continue
            } catch let error as AgentPoolError {
                state.withLock { if case .beating = $0 { $0 = .failed(error) } }
                return
            } catch {
                return  // cancelled: no failure to report
            }
        }
    }

    /// Stops the heartbeat — none runs once this returns — then leaves the pool as
    /// ``PoolHandle/leave(_:)`` does: `member_left` is recorded, matching wakes trigger and the
    /// run's held claims are released, in one transaction. Returns the pool's cursor after it.
    ///
    /// - Throws: what ``PoolHandle/leave(_:)`` throws (`notMember` when the member was already
    ///   removed); the heartbeat stays stopped, and calling again tries to leave again.
    @discardableResult
    public func leave() async throws -> Seq {
        heartbeats.cancel()
        await heartbeats.value
        state.withLock { if case .beating = $0 { $0 = .left } }
        return try await pool.leave(runID)
    }

    deinit {
        heartbeats.cancel()
        let stillMember = state.withLock { state -> Bool in
            guard case .beating = state else { return false }
            state = .left
            return true
        }
        if stillMember {
            Task { [pool, runID] in _ = try? await pool.leave(runID) }
        }
    }
}

extension PoolHandle {
    /// Joins `member` with a lease of `leaseMillis` (see ``join(_:leaseMillis:)``) and returns
    /// it as a ``LeasedMember``, which renews the lease at about a third of it in the background
    /// until ``LeasedMember/leave()`` or until it is dropped.
    ///
    /// - Throws: what ``join(_:leaseMillis:)`` throws; nothing is written and nothing heartbeats.
    public func joinLeased(_ member: Member, leaseMillis: Millis) async throws -> LeasedMember {
        try await join(member, leaseMillis: leaseMillis)
        return LeasedMember(pool: self, runID: member.runID, leaseMillis: leaseMillis)
    }
}
