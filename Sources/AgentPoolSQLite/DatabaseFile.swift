import AgentPool
import Foundation
import GRDB
import GRDBSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks and the creation of a database file that happen before the store opens it, so that
/// a bad file is refused untouched and a new file appears complete and private.
enum DatabaseFile {
    private static let magic = Array("SQLite format 3\0".utf8)

    /// The file `path` names once symbolic links are followed, so that every process reaching one
    /// database through different names shares its sidecars (`-notify`, `-migrating`) and creates
    /// it in one place: an existing file's real path; for a dangling link, the path it points at
    /// (resolved against the link's directory); otherwise `path` itself.
    static func resolve(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        var target = path
        // Follow a chain of dangling links (bounded, like the kernel's own limit of 40).
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: target) else { break }
            target = destination.hasPrefix("/")
                ? destination
                : ((target as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
        }
        return target
    }

    /// Leaves the main file holding every committed write when the caller was the database's
    /// last user: opens a plain connection, reads, and closes it. SQLite checkpoints the WAL into
    /// the main file when a closing connection is the file's last, and does nothing while any
    /// other connection (this process's or another's) has it open. The store's own readers are
    /// read-only connections, which never checkpoint on close, hence this step.
    ///
    /// The `-wal` file is kept, its frames all copied (SQLite's "persistent WAL"): opening a
    /// database whose WAL is missing or empty makes GRDB write (it creates and drops a table so
    /// that readers can open), and opening an up-to-date file must write nothing.
    static func checkpointIfLastUser(path: String) {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return }
        _ = try? queue.inDatabase { db in
            var persist: Int32 = 1
            sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_PERSIST_WAL, &persist)
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")
        }
        try? queue.close()
    }

    /// Makes sure `path` names a usable agent-pool database, creating it when missing.
    ///
    /// A new database is built under a temporary name (mode 0600, schema migrated, WAL) and
    /// published with `link(2)`, which fails if another process published first: openers never see
    /// a half-made file, so an empty file is always someone's mistake and is refused.
    static func prepare(path: String, busyTimeout: TimeInterval) throws {
        guard !path.isEmpty else { throw AgentPoolError.invalidInput(field: "path", "database path must not be empty") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw SQLiteErrors.storage("'\(path)' is a directory, not a database file", code: .SQLITE_CANTOPEN)
            }
            try checkExisting(path: path, busyTimeout: busyTimeout)
            return
        }
        try create(path: path)
    }

    /// Refuses files that are empty, not SQLite, another application's database, or newer than
    /// this build; reads only.
    private static func checkExisting(path: String, busyTimeout: TimeInterval) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SQLiteErrors.storage("cannot read '\(path)'", code: .SQLITE_CANTOPEN)
        }
        let header = Array((try? handle.read(upToCount: 100)) ?? Data())
        let fileSize = (try? handle.seekToEnd()) ?? 0
        try? handle.close()
        if header.isEmpty {
            throw SQLiteErrors.storage("'\(path)' is an empty file, not an SQLite database", code: .SQLITE_NOTADB)
        }
        guard header.count >= magic.count, Array(header.prefix(magic.count)) == magic else {
            throw SQLiteErrors.storage("'\(path)' is not an SQLite database", code: .SQLITE_NOTADB)
        }
        try checkNotTruncated(header: header, fileSize: fileSize, path: path)
        try checkWritable(path: path)
        // A read-only connection changes nothing: not the journal mode, and no checkpoint when it
        // closes (which would rewrite, or even extend, the file). It waits like the store does:
        // another process may be recovering the WAL right now.
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw SQLiteErrors.map(error)
        }
        defer { try? queue.close() }
        do {
            try queue.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                if applicationID == Schema.applicationID {
                    if try Schema.migrator.hasBeenSuperseded(db) {
                        let applied = try Schema.migrator.appliedIdentifiers(db).count
                        throw AgentPoolError.make(.unsupportedSchema,
                            "'\(path)' has schema version \(applied); this build knows up to \(Schema.currentVersion). Use a newer build.")
                    }
                    return
                }
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if applicationID != 0 || tables > 0 {
                    throw AgentPoolError.make(.unsupportedSchema,
                        "'\(path)' is an SQLite database of another application (application_id \(applicationID), \(tables) schema objects)")
                }
            }
        } catch {
            throw SQLiteErrors.map(error)
        }
    }

    /// Refuses a file or a directory this process cannot write: every open store writes (its
    /// transactions, and WAL's `-wal` and `-shm` files beside the database), so failing here says
    /// why, instead of a later write failing with a bare SQLITE_READONLY.
    private static func checkWritable(path: String) throws {
        if access(path, W_OK) != 0 {
            throw SQLiteErrors.storage("'\(path)' is read-only; the store must be able to write it", code: .SQLITE_READONLY)
        }
        let directory = (path as NSString).deletingLastPathComponent
        if access(directory.isEmpty ? "." : directory, W_OK) != 0 {
            throw SQLiteErrors.storage(
                "the directory of '\(path)' is read-only; WAL mode must create '-wal' and '-shm' files beside the database",
                code: .SQLITE_CANTOPEN)
        }
    }

    /// Refuses a file shorter than the database size its header records: a truncated copy.
    ///
    /// The header's page count is trusted only when its "version-valid-for" field matches the
    /// change counter (SQLite's own rule), and only while no other process uses the file: during
    /// a checkpoint the header may already record pages that are still being written, and the
    /// WAL then holds them. So the check applies only when the `-wal` file is absent or empty,
    /// before and after a second look that must see the same shortfall: a truncated file is
    /// short for good, a checkpoint in progress is not.
    private static func checkNotTruncated(header: [UInt8], fileSize: UInt64, path: String) throws {
        guard header.count >= 100 else {
            throw SQLiteErrors.storage("'\(path)' is truncated: its header is \(header.count) bytes", code: .SQLITE_CORRUPT)
        }
        guard walIsEmpty(path), let shortfall = shortfall(header: header, fileSize: fileSize) else { return }
        guard let again = try? readHeaderAndSize(path), walIsEmpty(path),
              self.shortfall(header: again.header, fileSize: again.size) != nil else { return }
        throw SQLiteErrors.storage("'\(path)' is truncated: \(shortfall)", code: .SQLITE_CORRUPT)
    }

    /// Why the file is shorter than its header says, or nil when it is not.
    private static func shortfall(header: [UInt8], fileSize: UInt64) -> String? {
        guard header.count >= 100 else { return "its header is \(header.count) bytes" }
        func uint32(_ offset: Int) -> UInt32 { header[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let rawPageSize = UInt32(header[16]) << 8 | UInt32(header[17])
        let pageSize = UInt64(rawPageSize == 1 ? 65_536 : rawPageSize)
        let pages = UInt64(uint32(28))
        guard uint32(92) == uint32(24), pages > 0, fileSize < pages * pageSize else { return nil }
        return "its header records \(pages) pages of \(pageSize) bytes, the file has \(fileSize) bytes"
    }

    private static func walIsEmpty(_ path: String) -> Bool {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? UInt64) ?? 0) == 0
    }

    private static func readHeaderAndSize(_ path: String) throws -> (header: [UInt8], size: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoPermission) }
        defer { try? handle.close() }
        let header = Array(try handle.read(upToCount: 100) ?? Data())
        return (header, try handle.seekToEnd())
    }

    /// Removes `path.creating-PID-N` files left by processes that died while building them (a
    /// SIGKILLed `backup` or create): the PID no longer runs. A live process's file is kept.
    static func removeAbandonedTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + ".creating-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                unlink(directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name))
            }
        }
    }

    /// Builds a migrated WAL database under a temporary name and publishes it at `path`.
    private static func create(path: String) throws {
        try publish(at: path, replaceRace: true) { temporary in
            let queue = try DatabaseQueue(path: temporary)
            try Schema.migrator.migrate(queue)
            _ = try queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
            try queue.close()
        }
    }

    /// Creates `path`'s directory, lets `build` fill a new private file (mode 0600) under a
    /// temporary name beside `path`, then links it to `path` and removes the temporary name.
    ///
    /// `link(2)` fails when `path` exists: with `replaceRace` another process that published
    /// first wins silently (both built the same new database); otherwise it is an error.
    static func publish(at path: String, replaceRace: Bool = false, build: (String) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw SQLiteErrors.storage("cannot create directory '\(directory)': \(error.localizedDescription)", code: .SQLITE_CANTOPEN)
            }
        }
        removeAbandonedTemporaries(of: path)
        let temporary = "\(path).creating-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard fd >= 0 else {
            throw SQLiteErrors.storage("cannot create '\(temporary)': \(String(cString: strerror(errno)))", code: .SQLITE_CANTOPEN)
        }
        close(fd)
        defer { unlink(temporary) }
        do {
            try build(temporary)
        } catch {
            throw SQLiteErrors.map(error)
        }
        if link(temporary, path) != 0 {
            let reason = errno
            guard replaceRace, reason == EEXIST else {
                throw SQLiteErrors.storage("cannot create '\(path)': \(String(cString: strerror(reason)))", code: .SQLITE_CANTOPEN)
            }
        }
    }
}
