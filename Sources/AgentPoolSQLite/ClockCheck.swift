import AgentPool
import CAgentPoolKernelClock

/// The rule that keeps a process whose clock is wrong from acting on everyone's deadlines.
///
/// Every process on one machine shares the kernel's clock, and a SQLite file is shared only on
/// one machine, so for a store on the system clock the kernel's realtime clock is the reference:
/// a process whose own reading (what `Date()` returns, which a shim such as libfaketime or a
/// container tool may change) differs from it by more than the tolerance is refused every write
/// with `clockSkew`, before anything is read or written — instead of evicting leased members
/// whose leases look expired to it, re-claiming held work, or expiring messages early. A store
/// given another clock (a test's manual clock) is not checked. Where the kernel clock cannot be
/// read directly (not Linux), nothing is checked.
struct ClockCheck: Sendable {
    /// The largest disagreement accepted, in milliseconds; 0 turns the check off.
    let toleranceMillis: Int64
    /// Whether the store's clock is the system clock (the only one compared).
    let checksSystemClock: Bool

    /// The check for `options`.
    init(_ options: SQLiteOptions) {
        toleranceMillis = options.clockToleranceMillis
        checksSystemClock = options.clock is SystemClock
    }

    /// Throws `clockSkew` when `now` (the store clock's reading) and the kernel's clock differ by
    /// more than the tolerance.
    func check(_ now: Millis) throws(AgentPoolError) {
        guard checksSystemClock, toleranceMillis > 0 else { return }
        let kernel = agentpool_kernel_realtime_millis()
        guard kernel >= 0 else { return }
        let skew = now - kernel
        guard abs(skew) > toleranceMillis else { return }
        throw .make(.clockSkew,
            "this process's clock is \(Self.describe(skew)) the machine's (kernel) clock, beyond the \(toleranceMillis) ms tolerance; nothing was written: its deadlines would act on other runs' leases and claims. Fix the process's clock (a time shim such as libfaketime, or a custom clock)")
    }

    /// "3.2 s ahead of" / "86400.0 s behind".
    static func describe(_ skew: Int64) -> String {
        let seconds = Double(abs(skew)) / 1000
        return "\((seconds * 10).rounded() / 10) s \(skew > 0 ? "ahead of" : "behind")"
    }
}
