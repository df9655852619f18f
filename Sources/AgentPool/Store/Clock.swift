import Foundation
import Synchronization

/// The time source of a store: every appended record is stamped with it, and deadlines are
/// compared with it. Inject ``ManualClock`` in tests.
public protocol AgentPoolClock: Sendable {
    /// The current UTC time in milliseconds.
    func nowMillis() -> Millis
}

/// The system's wall clock.
public struct SystemClock: AgentPoolClock {
    /// Creates the system clock.
    public init() {}
    /// The current UTC time in milliseconds.
    public func nowMillis() -> Millis { Millis((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that moves only when told to; for tests.
public final class ManualClock: AgentPoolClock {
    private let current: Mutex<Millis>

    /// Starts at `millis`.
    public init(_ millis: Millis = 1_700_000_000_000) { current = Mutex(millis) }

    /// The clock's time.
    public func nowMillis() -> Millis { current.withLock { $0 } }

    /// Moves the clock forward by `millis`.
    public func advance(by millis: Millis) { current.withLock { $0 += millis } }

    /// Sets the clock.
    public func set(_ millis: Millis) { current.withLock { $0 = millis } }
}
