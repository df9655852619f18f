#if Postgres
import AgentPool
import Foundation

/// The clock of a PostgreSQL store on the system clock: the server's. Clients on many machines
/// share one database, and their clocks disagree; every deadline (leases, claims, expiries,
/// response timeouts) and every `recorded_at` must mean the same instant to all of them.
///
/// It reads as this process's system clock plus an offset to the server's `clock_timestamp()`,
/// measured on a connection (the midpoint of the round trip) when the store opens and again
/// whenever the last measurement is older than ``refreshInterval``, inside the transaction that
/// then uses it. Sleeping converts back: a deadline on the server's clock is slept to on the
/// local one. A client whose clock is a day ahead therefore evicts nobody and stamps its records
/// with the server's time.
final class ServerClock: AgentPoolClock {
    /// How old a measured offset may get before the next transaction measures it again.
    static let refreshInterval: Duration = .seconds(10)

    private let base: any AgentPoolClock
    private let state = Locked<(offset: Int64, measuredAt: ContinuousClock.Instant?)>((0, nil))

    /// The server's clock as seen from `base` (the system clock).
    init(base: any AgentPoolClock) { self.base = base }

    /// The offset last measured: server minus local, in milliseconds.
    var offsetMillis: Int64 { state.withLock { $0.offset } }

    /// The server's current time (UTC ms), by the last measured offset.
    func nowMillis() -> Millis { base.nowMillis() + offsetMillis }

    /// Sleeps on the local clock until the server's clock reaches `deadline`.
    func sleep(untilMillis deadline: Millis) async throws {
        try await base.sleep(untilMillis: deadline - offsetMillis)
    }

    /// Whether the offset needs measuring (never measured, or older than ``refreshInterval``).
    var isStale: Bool {
        state.withLock { current in
            guard let measuredAt = current.measuredAt else { return true }
            return ContinuousClock.now - measuredAt > Self.refreshInterval
        }
    }

    /// Measures the offset with `serverMillis`, which asks the server for its time.
    func measure(_ serverMillis: () throws -> Int64) throws {
        let before = base.nowMillis()
        let server = try serverMillis()
        let after = base.nowMillis()
        let offset = server - (before + after) / 2
        state.withLock { $0 = (offset, ContinuousClock.now) }
    }

    /// The statement that reads the server's time in milliseconds.
    static let serverTimeSQL = "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::int8"
}
#endif
