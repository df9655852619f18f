import Logging

// What a backend may offer beyond ``PoolStore``: opening by location, diagnosis and backup.
// Tools (the CLI, the examples) use only these protocols, so a new backend plugs in by
// conforming to them; it never has to be named above this layer.

/// A backend that opens the stores some locations name (a file path, a `postgres://` URL…).
///
/// Programs that take "a database" from their users ask each registered backend in turn whether
/// it ``claims(_:)`` the location, and open it with the first that does.
package protocol StoreBackend: Sendable {
    /// A short lowercase name, used in log labels (`agentpool.<name>`): `sqlite`, `postgres`.
    var name: String { get }

    /// Whether `location` names a store of this backend. Cheap and pure: it never connects nor
    /// touches a file.
    func claims(_ location: String) -> Bool

    /// `location` safe to print and log: never holds a password.
    func redacted(_ location: String) -> String

    /// Opens (and, with ``StoreOpenOptions/createIfMissing``, creates) the store at `location`
    /// without blocking a cooperative thread.
    ///
    /// - Throws: `notFound` when there is no store and `createIfMissing` is false (nothing is
    ///   created); `invalidInput` for a malformed location; `unsupportedSchema`, `storage`, `busy`.
    func open(_ location: String, options: StoreOpenOptions) async throws -> any PoolStore

    /// ``open(_:options:)`` for callers that cannot await: blocks the calling thread until the
    /// store is open, so it must not run on a cooperative thread.
    ///
    /// By default it throws `storage` ("opens asynchronously only"): a backend offers it only
    /// when it can open without the Swift concurrency runtime.
    func openBlocking(_ location: String, options: StoreOpenOptions) throws -> any PoolStore

    /// When this backend's stores cannot back themselves up (they are no ``BackupCapableStore``):
    /// one line telling an operator what to use instead, shown before anything is opened. Nil
    /// (the default) for backends whose stores can.
    var backupAdvice: String? { get }
}

extension StoreBackend {
    /// The location unchanged: right for backends whose locations hold no secret.
    package func redacted(_ location: String) -> String { location }

    /// Refuses: this backend opens asynchronously only (see ``StoreBackend/openBlocking(_:options:)``).
    package func openBlocking(_ location: String, options: StoreOpenOptions) throws -> any PoolStore {
        throw AgentPoolError.make(.storage, "the \(name) backend opens asynchronously only; use the async open")
    }

    /// Nil: the backend's stores are expected to be ``BackupCapableStore``s.
    package var backupAdvice: String? { nil }
}

/// How a ``StoreBackend`` opens a store: what every backend understands, beside its own options
/// (which keep their defaults).
package struct StoreOpenOptions: Sendable {
    /// Where the open summary line (at `info`) and warnings go; nil: the backend's default logger.
    package var logger: Logger?
    /// The time source stamped on records.
    package var clock: any AgentPoolClock
    /// Whether a missing store is created. When false, opening a location without a store fails
    /// with `notFound` and creates nothing (for read-only tools).
    package var createIfMissing: Bool

    /// Options with the given values; by default the system clock, and a missing store created.
    package init(logger: Logger? = nil, clock: any AgentPoolClock = SystemClock(), createIfMissing: Bool = true) {
        self.logger = logger
        self.clock = clock
        self.createIfMissing = createIfMissing
    }
}

/// A store that can report on its own storage: settings, schema version and a storage check.
///
/// Diagnosis only reads: it never changes the store, its settings nor its schema. The pools'
/// own consistency (replay against projections) is not part of it: tools check that through
/// ``PoolStore`` alike for every backend.
package protocol DiagnosableStore: PoolStore {
    /// Reads the store's diagnosis at this moment.
    /// - Throws: `storage` or `busy` when the store cannot be read; nothing is changed.
    func diagnose() async throws -> StoreDiagnosis
}

/// What a ``DiagnosableStore`` reports about its storage.
package struct StoreDiagnosis: Sendable, Hashable {
    /// The backend's name as its open log line gives it: `sqlite`, `postgresql`.
    package var backend: String
    /// Where the store lives, safe to print (no password).
    package var location: String
    /// The settings in force, read back from the backend itself, in the order a report lists
    /// them; the schema version is ``schemaVersion``, not one of them.
    package var settings: [StoreSetting]
    /// The schema version the store holds.
    package var schemaVersion: Int
    /// The schema version this build writes and reads.
    package var expectedSchemaVersion: Int
    /// The result of the backend's storage check: `["ok"]` when healthy, otherwise what is wrong,
    /// or one line saying why nothing was checked.
    package var integrity: [String]
    /// What is wrong with the storage or its settings (the integrity check included); empty when
    /// healthy. A schema version other than the expected one is for the caller to judge.
    package var problems: [String]

    /// A diagnosis with the given values.
    package init(backend: String, location: String, settings: [StoreSetting], schemaVersion: Int,
                expectedSchemaVersion: Int, integrity: [String], problems: [String]) {
        self.backend = backend
        self.location = location
        self.settings = settings
        self.schemaVersion = schemaVersion
        self.expectedSchemaVersion = expectedSchemaVersion
        self.integrity = integrity
        self.problems = problems
    }
}

/// One setting a backend runs with: a snake_case name and its value as read back.
package struct StoreSetting: Sendable, Hashable {
    /// The setting's snake_case name, e.g. `journal_mode`, `lock_timeout_ms`.
    package var name: String
    /// Its value: a string, an integer or a boolean.
    package var value: JSONValue

    /// A setting named `name` with `value`.
    package init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }

    /// The value as a person reads it: a string as is, a number or boolean as its literal.
    package var text: String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .integer(let number): "\(number)"
        case .number(let number): "\(number)"
        case .string(let string): string
        case .array, .object: "\(value)"
        }
    }
}

/// A store that can copy itself, live, to a new location.
package protocol BackupCapableStore: PoolStore {
    /// Copies the whole store to `destination`, consistent as of one moment while writers keep
    /// running: the copy holds every write committed before the call began, and `destination`
    /// never holds a partial copy. The copy opens with the same backend.
    /// - Throws: `invalidInput` when `destination` already exists (nothing is written); `storage`.
    func backup(to destination: String) async throws
}
