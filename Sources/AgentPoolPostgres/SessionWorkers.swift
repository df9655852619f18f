#if Postgres
import AgentPool
import Foundation

/// A small pool of threads, each owning one PostgreSQL session, that run the store's blocking
/// transactions for async callers.
///
/// A job waits in a FIFO queue for a free worker; a worker is started (and its connection
/// opened) only when every existing one is busy, up to `maximum`, so a store used by one task
/// holds one connection. A worker whose connection was closed (server restart, terminated
/// backend) reconnects before its next job. The async caller waits on a continuation: no
/// cooperative thread ever blocks on the database.
final class SessionWorkers: @unchecked Sendable {
    /// A unit of work, handed the worker's session or the error of connecting it.
    typealias Job = (Result<PostgresSession, any Error>) -> Void

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var workerCount = 0
    private var idleCount = 0
    private var closed = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private let maximum: Int
    private let connect: @Sendable () throws -> PostgresSession
    private let name: String

    /// - Parameters:
    ///   - maximum: the most workers (and so connections) at once.
    ///   - connect: opens a session; called on the worker's thread.
    init(maximum: Int, name: String, connect: @escaping @Sendable () throws -> PostgresSession) {
        self.maximum = max(1, maximum)
        self.name = name
        self.connect = connect
    }

    /// Runs `work` on a worker's session and returns its result.
    ///
    /// - Throws: the connect error when no session could be opened; the store's "closed" error
    ///   after ``close()``; whatever `work` throws.
    func run<T: Sendable>(_ work: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueue { session in
                continuation.resume(with: Result { try work(session.get()) })
            }
        }
    }

    /// Runs `work` on a worker's session and blocks the calling thread until it is done; for
    /// synchronous entry points (opening the store) that are never on an event loop.
    func runBlocking<T>(_ work: @escaping (PostgresSession) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, any Error>?
        enqueue { session in
            result = Result { try work(session.get()) }
            done.signal()
        }
        done.wait()
        return try result!.get()
    }

    private func enqueue(_ job: @escaping Job) {
        condition.lock()
        guard !closed else {
            condition.unlock()
            job(.failure(PostgresErrors.closed))
            return
        }
        queue.append(job)
        let spawn = queue.count > idleCount && workerCount < maximum
        if spawn { workerCount += 1 }
        condition.signal()
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = name
            thread.start()
        }
    }

    private func work() {
        var session: PostgresSession?
        while true {
            condition.lock()
            while queue.isEmpty && !closed {
                idleCount += 1
                condition.wait()
                idleCount -= 1
            }
            if closed {
                condition.unlock()
                break
            }
            let job = queue.removeFirst()
            condition.unlock()
            if session?.isClosed ?? true {
                session = nil
                do {
                    session = try connect()
                } catch {
                    job(.failure(error))
                    continue
                }
            }
            job(.success(session!))
        }
        session?.close()
        condition.lock()
        workerCount -= 1
        let waiters = workerCount == 0 ? exitWaiters : []
        if workerCount == 0 { exitWaiters = [] }
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// Fails every queued job with the "closed" error, lets running jobs finish, closes every
    /// connection, and returns once every worker has exited. Later jobs fail at once.
    func close() async {
        shutdown()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !addExitWaiter(continuation) { continuation.resume() }
        }
    }

    /// Fails every queued job and tells the workers to close their connections and exit, without
    /// waiting for them (for deinit).
    func shutdown() {
        for job in markClosed() { job(.failure(PostgresErrors.closed)) }
    }

    /// Marks the workers closed and returns the jobs that were still queued.
    private func markClosed() -> [Job] {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        let pending = queue
        queue = []
        condition.broadcast()
        return pending
    }

    /// Registers `waiter` to be resumed when the last worker exits; false when none is left.
    private func addExitWaiter(_ waiter: CheckedContinuation<Void, Never>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard workerCount > 0 else { return false }
        exitWaiters.append(waiter)
        return true
    }
}
#endif
