#if Postgres
import AgentPool
import Logging
import PostgresNIO

/// Cross-machine change detection for one opened PostgreSQL store.
///
/// Writers `NOTIFY` the store's channel inside their transaction (PostgreSQL delivers it only
/// on commit); one connection per store `LISTEN`s and bumps the store's ``ChangeSignal`` on
/// each notification, shared by all of the store's watchers and waiters. It starts the first
/// time a task waits, so a store nobody watches holds no listening connection.
///
/// When the listening connection drops (server restart, a terminated backend, a network cut),
/// it reconnects with a growing delay (50 ms up to 2 s) and bumps the signal once listening
/// again: watchers re-read from their cursor, so what was committed meanwhile reaches them with
/// no gap and no duplicate. A listening connection that went silent (a network partition) is
/// closed and re-established when the safety poll's read fails. A slow safety poll (``PostgresOptions/safetyPoll``) reads the pools'
/// cursors while anyone waits, and bumps the signal only when they changed.
final class ChangeListener: Sendable {
    private struct State {
        var listenTask: Task<Void, Never>?
        var pollTask: Task<Void, Never>?
        var connection: PostgresConnection?
        var stopped = false
        /// How many times LISTEN succeeded (1 after the first connection, +1 per reconnection).
        var connections = 0
    }

    private let state = Locked(State())
    private let location: PostgresLocation
    private let options: PostgresOptions
    private let signal: ChangeSignal
    private let probe: @Sendable () async -> [Int64]?
    /// Bumped each time LISTEN succeeds; for tests that wait for a reconnection.
    let connected = ChangeSignal()

    /// The channel every writer of the store notifies: the store's schema name.
    var channel: String { location.schema }

    /// - Parameter probe: a cheap read whose result changes whenever any pool changes.
    init(location: PostgresLocation, options: PostgresOptions, signal: ChangeSignal, probe: @escaping @Sendable () async -> [Int64]?) {
        self.location = location
        self.options = options
        self.signal = signal
        self.probe = probe
    }

    /// How many times the listening connection was established.
    var connectionCount: Int { state.withLock { $0.connections } }

    /// Starts listening and polling unless already started (called when a task starts waiting).
    func arm() {
        let start = state.withLock { state -> Bool in
            guard state.listenTask == nil, !state.stopped else { return false }
            state.listenTask = Task.detached { [self] in await listen() }
            state.pollTask = Task.detached { [self] in await poll() }
            return true
        }
        _ = start
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func listen() async {
        var delay = Duration.milliseconds(50)
        while !isStopped {
            do {
                let configuration = try PostgresSession.configuration(location, options: options, role: "listener")
                var logger = options.logger
                logger.logLevel = max(logger.logLevel, .warning)
                let connection = try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 0, logger: logger).get()
                let keep = state.withLock { state -> Bool in
                    guard !state.stopped else { return false }
                    state.connection = connection
                    return true
                }
                guard keep else {
                    try? await connection.close()
                    break
                }
                try await connection.listen(on: channel) { notifications in
                    state.withLock { $0.connections += 1 }
                    delay = .milliseconds(50)
                    // Anything committed before LISTEN took effect was not notified: re-check.
                    signal.notify()
                    connected.notify()
                    for try await _ in notifications { signal.notify() }
                }
            } catch {
                if !isStopped {
                    options.logger.warning("agentpool change listener lost its connection; reconnecting", metadata: [
                        "location": "\(location.redacted)",
                        "error": "\(PostgresErrors.clean("\(PostgresErrors.map(error, location: location))", location: location))",
                    ])
                }
            }
            let connection = state.withLock { state -> PostgresConnection? in
                defer { state.connection = nil }
                return state.connection
            }
            try? await connection?.close()
            if isStopped { break }
            try? await Task.sleep(for: delay)  // reconnection back-off, not a synchronization
            delay = min(delay * 2, .seconds(2))
        }
    }

    private func poll() async {
        var last: [Int64]?
        while !isStopped {
            do {
                try await Task.sleep(for: options.safetyPoll)
            } catch {
                break
            }
            guard signal.waiterCount > 0 else { continue }
            let current = await probe()
            if current == nil, let connection = state.withLock({ $0.connection }) {
                // why: a connection cut by a network partition never closes by itself, and a
                // silent LISTEN cannot tell; the probe failing (within the response timeout) is the
                // sign, so the listener starts over on a new connection instead of waiting forever.
                _ = connection.close() as EventLoopFuture<Void>
            }
            if current != last {
                last = current
                signal.notify()
            }
        }
    }

    /// Stops listening and polling, closes the listening connection, and returns once both
    /// loops have ended; idempotent.
    func stop() async {
        let (listenTask, pollTask) = shutdown()
        await listenTask?.value
        await pollTask?.value
        connected.close()
    }

    /// Tells both loops to stop and starts closing the listening connection, without waiting.
    @discardableResult
    func shutdown() -> (Task<Void, Never>?, Task<Void, Never>?) {
        let (listenTask, pollTask, connection) = state.withLock { state in
            state.stopped = true
            return (state.listenTask, state.pollTask, state.connection)
        }
        listenTask?.cancel()
        pollTask?.cancel()
        if let connection { _ = connection.close() as EventLoopFuture<Void> }
        return (listenTask, pollTask)
    }
}
#endif
