import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes processes that open a file of an older schema at the same moment migrate it one at a
/// time: the first migrates, the others wait, find it migrated and go on.
///
/// GRDB's migrator reads which migrations are applied before it takes SQLite's write lock, so two
/// processes upgrading together could both run the same migration, and all but one failed
/// (`table leases already exists`). The lock is an exclusive `flock` on a sidecar file,
/// `<database>-migrating` — never on the database file itself, whose POSIX locks SQLite owns and
/// which closing any other descriptor of it would release. The kernel drops the lock when its
/// holder dies (a SIGKILL mid-migration leaves nothing held). The sidecar is removed once the
/// migration committed; a process that locked the removed file re-checks first, as every holder
/// does, so removing it is safe.
enum MigrationLock {
    /// Runs `body` holding the lock of the database at `path`. When the sidecar cannot be created
    /// (a read-only directory), runs it unlocked: a file that needs migrating there cannot be
    /// migrated anyway, and `body` reports why.
    static func withLock<T>(databasePath path: String, _ body: () throws -> T) throws -> T {
        let lockPath = path + "-migrating"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return try body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { return try body() }
        }
        let result = try body()
        unlink(lockPath)
        return result
    }
}
