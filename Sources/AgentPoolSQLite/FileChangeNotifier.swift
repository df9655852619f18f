import AgentPool
import CAgentPoolSharedWord
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cross-process change detection for one opened SQLite store.
///
/// After each commit a writer bumps a counter in the sidecar file `<db>-notify`, which every
/// process maps shared, and wakes its waiters with a futex (Linux); it also writes a byte at the
/// sidecar's start, for file notifications. One thread per store waits and bumps the store's
/// ``ChangeSignal``:
/// - on Linux, on the shared counter's futex: a wake-up costs one system call for the writer and
///   a thread wake for the watcher. The kernel compares the counter before sleeping, so a bump
///   between the thread's read and its sleep is never slept through;
/// - elsewhere, or when the sidecar cannot be mapped, on a file notification for the sidecar
///   (inotify on Linux, kqueue on Darwin). The sidecar, not the `-wal`, is watched because a WAL
///   write is notified before its commit is visible (measured on Linux).
///
/// Either way the counter moves, or the file is written, only after COMMIT returned, so a woken
/// watcher reads the commit. A slow safety poll (1 s) probes the pools table and bumps the signal
/// when it changed, in case a notification was missed. Waiting costs no CPU: the thread sleeps in
/// the kernel.
///
/// The thread waits only while someone in this process waits: the first waiter arms it, and two
/// idle ticks disarm it. So a process holding a store nobody waits on is not woken by other
/// processes' commits. Inotify instances are limited per user (128 by default on Linux); when the
/// limit is reached, file-notification waiters fall back to the safety poll.
final class FileChangeNotifier: @unchecked Sendable {
    let sidecarPath: String
    private let signal: ChangeSignal
    private let probe: @Sendable () -> [Int64]?
    private let safetyPollMillis: Int32
    /// The sidecar's descriptor (guarded by `lock`; replaced when the file was deleted, see
    /// ``arm()``).
    private var sidecarFD: Int32
    /// The shared counter in the mapped sidecar; nil when the file notification is used instead.
    /// (Guarded by `lock`; the thread uses it only while armed, and it is replaced only while not.)
    private var word: UnsafeMutablePointer<UInt32>?
    /// Signalled when the notifier is armed or stopped, for the shared-counter thread (which
    /// sleeps on it while disarmed).
    private let armedOrStopped = DispatchSemaphore(value: 0)
    /// The counter's value when the notifier was last armed (guarded by `lock`): the thread's
    /// starting point, taken before arm() notifies, so no bump falls between the two.
    private var armedAtValue: UInt32 = 0
    /// The inotify instance or kqueue while armed, else -1 (guarded by `lock`).
    private var eventFD: Int32 = -1
    /// Wakes the thread: a 0 byte stops it, a 1 byte makes it poll the current `eventFD`.
    private let stopPipe: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var stopped = false
    /// Whether the file notification is registered; it is only while tasks wait (see ``arm()``).
    private var armed = false
    private var watchDescriptor: Int32 = -1
    /// Signalled by the thread as it exits, so that ``stop()`` returns only once it is gone.
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the notifier thread for `databasePath`'s sidecar.
    ///
    /// - Parameters:
    ///   - sharedWord: wait on the sidecar's shared counter where the platform can (Linux);
    ///     false uses the file notification (a fallback kept for other platforms, and for tests).
    ///   - probe: a cheap read whose result changes whenever any pool changes.
    init(databasePath: String, signal: ChangeSignal, sharedWord: Bool = true, safetyPoll: Duration = .seconds(1),
         probe: @escaping @Sendable () -> [Int64]?) throws {
        sidecarPath = databasePath + "-notify"
        self.signal = signal
        self.probe = probe
        let millis = safetyPoll.components.seconds * 1000 + safetyPoll.components.attoseconds / 1_000_000_000_000_000
        safetyPollMillis = Int32(clamping: max(1, millis))
        sidecarFD = open(sidecarPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard sidecarFD >= 0 else {
            throw SQLiteErrors.storage("cannot open '\(sidecarPath)': \(String(cString: strerror(errno)))", code: .SQLITE_CANTOPEN)
        }
        word = sharedWord ? Self.map(sidecarFD) : nil
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(sidecarFD)
            throw SQLiteErrors.storage("cannot create a pipe: \(String(cString: strerror(errno)))", code: .SQLITE_CANTOPEN)
        }
        stopPipe = (fds[0], fds[1])
        let thread = Thread { [self] in
            if word != nil { runOnSharedWord() } else { runOnFileEvents() }
        }
        thread.name = "agentpool-notifier"
        thread.start()
        signal.onWait { [weak self] in self?.arm() }
    }

    /// Tells every watcher of the file, in any process, that a commit happened: bumps the shared
    /// counter and wakes its waiters, and writes the sidecar's first byte for watchers on file
    /// notifications (other platforms, older versions). After ``stop()`` it does nothing: the
    /// descriptor is closed and its number may belong to another file.
    func touch() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        if let word { agentpool_shared_word_bump(word) }
        var byte: UInt8 = 1
        _ = pwrite(sidecarFD, &byte, 1, 0)
    }

    /// Registers the file notification if it is not: called when a task starts waiting. Then
    /// bumps the signal once, so that a commit made before the registration is not missed (the
    /// waiter re-checks).
    ///
    /// When the notification cannot be registered (inotify's per-user limits, a missing platform
    /// facility), it notifies nobody: waiters then rely on the 1 s safety poll instead of being
    /// woken again at once, which would spin.
    func arm() {
        lock.lock()
        let wasArmed = armed
        if !armed, !stopped {
            if word != nil {
                remapIfDeleted()
                armedAtValue = word.map(agentpool_shared_word_load) ?? 0
                armed = true
            } else {
                armed = setWatch(true)
            }
        }
        let armedNow = !wasArmed && armed
        lock.unlock()
        if armedNow, word != nil {
            armedOrStopped.signal()
            signal.notify()
        } else if armedNow {
            // The thread sleeps in poll(2) without the new descriptor: wake it to add it.
            var byte: UInt8 = 1
            _ = write(stopPipe.write, &byte, 1)
            signal.notify()
        }
    }

    /// Stops the thread, waits until it has exited (so that it never reads a closed database),
    /// and closes the descriptors; idempotent.
    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        let word = self.word  // no longer replaced once stopped
        lock.unlock()
        guard first else { return }
        var byte: UInt8 = 0
        _ = write(stopPipe.write, &byte, 1)
        if let word {
            armedOrStopped.signal()
            // The thread may have read `stopped` just before it was set and be about to sleep on
            // the futex: wake it until it is gone. (Other processes' threads see no change and
            // sleep again.)
            repeat { agentpool_shared_word_wake(word) } while finished.wait(timeout: .now() + .milliseconds(5)) == .timedOut
        } else {
            finished.wait()
        }
        close(stopPipe.read)
        close(stopPipe.write)
        lock.lock()
        close(sidecarFD)  // under the lock that touch() takes, after it saw `stopped`
        if let word { agentpool_shared_word_unmap(word) }
        lock.unlock()
    }

    /// An inotify instance (Linux) or a kqueue (Darwin) to wait on; -1 when the platform has
    /// neither (the safety poll still works).
    private static func makeEventDescriptor() -> Int32 {
        #if os(Linux)
        return inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        #elseif canImport(Darwin)
        return kqueue()
        #else
        return -1
        #endif
    }

    /// Adds or removes the notification for the sidecar, making or closing the event descriptor
    /// with it; returns whether it is registered. Called with `lock` held.
    private func setWatch(_ on: Bool) -> Bool {
        if on, eventFD < 0 { eventFD = Self.makeEventDescriptor() }
        guard eventFD >= 0 else { return false }
        var armedAfter = false
        defer {
            if !armedAfter {
                close(eventFD)
                eventFD = -1
            }
        }
        #if os(Linux)
        if on {
            let mask = UInt32(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)
            watchDescriptor = inotify_add_watch(eventFD, sidecarPath, mask)
            if watchDescriptor < 0, errno == ENOENT {
                // The sidecar was deleted: recreate it (writers of this store touch their own
                // descriptor, so until they reopen, the safety poll covers them).
                let fd = open(sidecarPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                if fd >= 0 { close(fd) }
                watchDescriptor = inotify_add_watch(eventFD, sidecarPath, mask)
            }
            armedAfter = watchDescriptor >= 0
            return armedAfter
        }
        // Closing the instance (deferred above) removes its watch.
        watchDescriptor = -1
        return false
        #elseif canImport(Darwin)
        var change = kevent(ident: UInt(sidecarFD), filter: Int16(EVFILT_VNODE), flags: UInt16(on ? EV_ADD | EV_CLEAR : EV_DELETE),
                            fflags: UInt32(NOTE_WRITE | NOTE_ATTRIB | NOTE_EXTEND), data: 0, udata: nil)
        armedAfter = on && kevent(eventFD, &change, 1, nil, 0, nil) >= 0
        return armedAfter
        #else
        return false
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

    /// The shared counter of the sidecar open as `fd`; nil when it cannot be mapped.
    private static func map(_ fd: Int32) -> UnsafeMutablePointer<UInt32>? {
        agentpool_shared_word_map(fd).map { UnsafeMutablePointer(mutating: $0) }
    }

    /// When the sidecar was deleted (or replaced) since it was opened, opens the file now at its
    /// path, creating it, and maps its counter instead, so that processes opening the store from
    /// now on wake this one (writers still on the old file are covered by the safety poll until
    /// they reopen). Called with `lock` held, while not armed: the thread does not use the word.
    private func remapIfDeleted() {
        var onDisk = stat()
        var opened = stat()
        if stat(sidecarPath, &onDisk) == 0, fstat(sidecarFD, &opened) == 0,
           onDisk.st_dev == opened.st_dev, onDisk.st_ino == opened.st_ino { return }
        let fd = open(sidecarPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        guard let mapped = Self.map(fd) else {
            close(fd)
            return
        }
        if let word { agentpool_shared_word_unmap(word) }
        close(sidecarFD)
        sidecarFD = fd
        word = mapped
    }

    /// The thread's loop on the shared counter: sleeps on its futex while armed, on
    /// `armedOrStopped` while not.
    private func runOnSharedWord() {
        defer { finished.signal() }
        var lastProbe: [Int64]? = nil
        var last: UInt32 = 0
        var idleTicks = 0
        var armedHere = false
        while true {
            lock.lock()
            let (isStopped, isArmed, start, mapped) = (stopped, armed, armedAtValue, word)
            lock.unlock()
            if isStopped { return }
            guard let word = mapped else { return }
            if !isArmed {
                armedHere = false
                armedOrStopped.wait()
                continue
            }
            if !armedHere {
                // Newly armed: arm() notified for every bump up to `start`.
                armedHere = true
                last = start
                idleTicks = 0
            }
            let current = agentpool_shared_word_load(word)
            if current != last {
                last = current
                signal.notify()
                continue
            }
            let outcome = agentpool_shared_word_wait(word, current, safetyPollMillis)
            if outcome == 0 { continue }  // a bump, or a wake with no change (another store stopping): look again
            if outcome < 0 {
                // The futex cannot be waited on (a sandbox without it): tick at the safety
                // poll's cadence instead, on the semaphore that stop() signals.
                _ = armedOrStopped.wait(timeout: .now() + .milliseconds(Int(safetyPollMillis)))
            }
            // A tick, as in the file-event loop: disarm after two idle ticks, else the safety poll.
            lock.lock()
            let idle = signal.waiterCount == 0
            idleTicks = idle ? idleTicks + 1 : 0
            if idleTicks >= 2, armed, !stopped {
                armed = false
                // A later arm() may remap the sidecar: its counter then starts from its own value.
                armedHere = false
            }
            lock.unlock()
            if idle { continue }
            safetyPoll(&lastProbe)
        }
    }

    /// The safety poll: probes the file and notifies only when something really changed since
    /// `lastProbe`, which it then updates.
    private func safetyPoll(_ lastProbe: inout [Int64]?) {
        let current = probe()
        if current != lastProbe {
            lastProbe = current
            signal.notify()
        }
    }

    /// The thread's loop on file notifications (inotify, kqueue) and the stop pipe.
    private func runOnFileEvents() {
        defer { finished.signal() }
        // No probe yet: the first safety poll with a waiter compares against nothing and
        // notifies once, which is harmless; probing here would race a quick close().
        var lastProbe: [Int64]? = nil
        var idleTicks = 0
        while true {
            // The event descriptor changes as the notifier is armed and disarmed (under `lock`);
            // a disarm closes it only on this thread, so it stays valid while polled here.
            lock.lock()
            let events = eventFD
            lock.unlock()
            var descriptors = [pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0)]
            if events >= 0 { descriptors.append(pollfd(fd: events, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), safetyPollMillis)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { break }
            if descriptors[0].revents != 0 {
                var byte: UInt8 = 0
                if read(stopPipe.read, &byte, 1) != 1 || byte == 0 { break }
                continue  // armed: poll again with the new descriptor
            }
            if descriptors.count > 1 && descriptors[1].revents != 0 {
                drain(events)
                signal.notify()
            } else if ready == 0 {
                // Nobody has waited for two ticks: stop being woken by every commit until someone
                // does (one idle tick is often just a watcher busy reading). Checked under the
                // lock that arm() takes, so a waiter that registers now re-arms after this.
                lock.lock()
                let idle = signal.waiterCount == 0
                idleTicks = idle ? idleTicks + 1 : 0
                if idleTicks >= 2, armed { armed = setWatch(false) }
                lock.unlock()
                if idle { continue }
                safetyPoll(&lastProbe)
            }
        }
        lock.lock()
        if eventFD >= 0 {
            close(eventFD)
            eventFD = -1
        }
        lock.unlock()
    }
}
