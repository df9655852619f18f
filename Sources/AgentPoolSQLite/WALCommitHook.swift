import GRDB
import GRDBSQLite

/// ``SQLiteOptions/walCommitHook`` on one connection: SQLite's WAL hook, reporting the WAL's
/// length after each commit and running the automatic checkpoint the hook replaces.
enum WALCommitHook {
    /// The callback, kept alive for the connection's life (connections of a store that uses the
    /// hook are few and live as long as the store).
    private final class Box {
        let hook: @Sendable (Int32) -> Void
        init(_ hook: @escaping @Sendable (Int32) -> Void) { self.hook = hook }
    }

    /// Installs `hook` on `connection`; its frames are counted from then on.
    static func install(_ hook: @escaping @Sendable (Int32) -> Void, on connection: OpaquePointer?) {
        let box = Unmanaged.passRetained(Box(hook)).toOpaque()
        sqlite3_wal_hook(connection, { context, db, name, walLength in
            Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue().hook(walLength)
            // What SQLite's default hook does (sqlite3_wal_autocheckpoint(1000)).
            if walLength >= 1_000 { sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
            return SQLITE_OK
        }, box)
    }
}
