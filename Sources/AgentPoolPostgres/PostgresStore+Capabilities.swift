#if Postgres
import AgentPool

extension PostgresStore: DiagnosableStore {
    /// Reads the server's settings and the store's schema version back. No storage check: the
    /// server guards its own storage, so ``StoreDiagnosis/integrity`` says that nothing was
    /// checked and no problem is reported. Only reads.
    package func diagnose() async throws -> StoreDiagnosis {
        let settings = try await settings()
        return StoreDiagnosis(
            backend: "postgresql", location: location.redacted, settings: settings.all,
            schemaVersion: settings.schemaVersion, expectedSchemaVersion: Self.schemaVersion,
            integrity: ["not checked: PostgreSQL guards its own storage"], problems: [])
    }
}

/// Opens PostgreSQL stores: the locations that are `postgres://` or `postgresql://` URLs.
package struct PostgresBackend: StoreBackend {
    /// Creates the backend.
    package init() {}

    /// `postgres`.
    package var name: String { "postgres" }

    /// Whether `location` is a `postgres://` or `postgresql://` URL.
    package func claims(_ location: String) -> Bool { PostgresLocation.isPostgres(location) }

    /// The URL with its password replaced by `***` (see ``PostgresLocation/redacted``).
    package func redacted(_ location: String) -> String {
        (try? PostgresLocation(url: location).redacted) ?? "postgres://(unreadable URL)"
    }

    /// Opens the store at the URL `location` with the default ``PostgresOptions`` and the given
    /// clock, logger and `createIfMissing`, without blocking (``PostgresStore/open(url:options:)``).
    package func open(_ location: String, options: StoreOpenOptions) async throws -> any PoolStore {
        try await PostgresStore.open(url: location, options: Self.options(options))
    }

    /// ``open(_:options:)``, blocking the calling thread (``PostgresStore/init(url:options:)``).
    package func openBlocking(_ location: String, options: StoreOpenOptions) throws -> any PoolStore {
        try PostgresStore(url: location, options: Self.options(options))
    }

    /// PostgreSQL stores are copied by the server's tools, or by `agentpool copy`.
    package var backupAdvice: String? {
        "backup copies a SQLite file; for PostgreSQL use pg_dump, or `agentpool copy --to FILE`"
    }

    /// The backend's options for `options`.
    private static func options(_ options: StoreOpenOptions) -> PostgresOptions {
        var postgres = PostgresOptions()
        postgres.clock = options.clock
        postgres.createIfMissing = options.createIfMissing
        if let logger = options.logger { postgres.logger = logger }
        return postgres
    }
}
#endif
