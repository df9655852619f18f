import AgentPool
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cross-process change detection for one opened SQLite store (SPEC §9).
///
/// Writers touch a sidecar file (`<db>-notify`) after each commit; one thread per store waits on
/// a file notification for it (inotify on Linux, kqueue on Darwin) and bumps the store's
/// ``ChangeSignal``. The sidecar, not the `-wal`, is watched because a WAL write is notified
/// before its commit is visible (see MEASURED.md). A slow safety poll (1 s) probes the pools
/// table and bumps the signal when it changed, in case a notification was missed. Waiting costs
/// no CPU: the thread sleeps in `poll(2)`.
final class FileChangeNotifier: @unchecked Sendable {
    let sidecarPath: String
    private let signal: ChangeSignal
    private let probe: @Sendable () -> [Int64]?
    private let safetyPollMillis: Int32
    private let sidecarFD: Int32
    private let eventFD: Int32
    private let stopPipe: (read: Int32, write: Int32)
    private var thread: Thread?
    private let lock = NSLock()
    private var stopped = false

    /// Starts watching `databasePath`'s sidecar.
    ///
    /// - Parameter probe: a cheap read whose result changes whenever any pool changes.
    init(databasePath: String, signal: ChangeSignal, safetyPoll: Duration = .seconds(1), probe: @escaping @Sendable () -> [Int64]?) throws {
        sidecarPath = databasePath + "-notify"
        self.signal = signal
        self.probe = probe
        safetyPollMillis = Int32(safetyPoll.components.seconds * 1000 + safetyPoll.components.attoseconds / 1_000_000_000_000_000)
        sidecarFD = open(sidecarPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard sidecarFD >= 0 else {
            throw SQLiteErrors.storage("cannot open '\(sidecarPath)': \(String(cString: strerror(errno)))", code: .SQLITE_CANTOPEN)
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(sidecarFD)
            throw SQLiteErrors.storage("cannot create a pipe: \(String(cString: strerror(errno)))", code: .SQLITE_CANTOPEN)
        }
        stopPipe = (fds[0], fds[1])
        eventFD = Self.watch(path: sidecarPath, fd: sidecarFD)
        let thread = Thread { [self] in run() }
        thread.name = "agentpool-notifier"
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// Tells every watcher of the file, in any process, that a commit happened.
    func touch() {
        var byte: UInt8 = 1
        _ = pwrite(sidecarFD, &byte, 1, 0)
    }

    /// Stops the thread and closes the descriptors; idempotent.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        var byte: UInt8 = 0
        _ = write(stopPipe.write, &byte, 1)
    }

    /// A descriptor that becomes readable when the sidecar is written; -1 when the platform has
    /// none (the safety poll still works).
    private static func watch(path: String, fd: Int32) -> Int32 {
        #if os(Linux)
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { return -1 }
        guard inotify_add_watch(inotify, path, UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)) >= 0 else {
            close(inotify)
            return -1
        }
        return inotify
        #elseif canImport(Darwin)
        let queue = kqueue()
        guard queue >= 0 else { return -1 }
        var change = kevent(ident: UInt(fd), filter: Int16(EVFILT_VNODE), flags: UInt16(EV_ADD | EV_CLEAR),
                            fflags: UInt32(NOTE_WRITE | NOTE_ATTRIB | NOTE_EXTEND), data: 0, udata: nil)
        guard kevent(queue, &change, 1, nil, 0, nil) >= 0 else {
            close(queue)
            return -1
        }
        return queue
        #else
        return -1
        #endif
    }

    private func drain(_ fd: Int32) {
        #if os(Linux)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}
        #elseif canImport(Darwin)
        var event = kevent()
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while kevent(fd, nil, 0, &event, 1, &zero) > 0 {}
        #endif
    }

    private func run() {
        var lastProbe = probe()
        var descriptors = [pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)]
        if eventFD >= 0 { descriptors.append(pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0)) }
        while true {
            for index in descriptors.indices { descriptors[index].revents = 0 }
            let ready = poll(&descriptors, nfds_t(descriptors.count), safetyPollMillis)
            if ready < 0 && errno == EINTR { continue }
            if descriptors[0].revents != 0 || ready < 0 { break }
            if descriptors.count > 1 && descriptors[1].revents != 0 {
                drain(eventFD)
                signal.notify()
            } else if ready == 0 {
                // The safety poll: notify only when something really changed.
                let current = probe()
                if current != lastProbe {
                    lastProbe = current
                    signal.notify()
                }
            }
        }
        if eventFD >= 0 { close(eventFD) }
        close(sidecarFD)
        close(stopPipe.read)
        close(stopPipe.write)
    }
}
