import AgentPool

/// Stands in for a backend that this build leaves out because its package trait is off: it
/// claims that backend's locations and refuses to open them, saying which trait to enable.
///
/// Without it the last backend (SQLite, which claims every location) would open a
/// `postgres://` URL as a file of that name.
struct TraitDisabledBackend: StoreBackend {
    /// The left-out backend's name (`postgres`), so that tools name it as they would the real one.
    let name: String
    /// The URL schemes it claims (`postgres` for `postgres://…`), lowercase.
    let schemes: [String]
    /// The package trait that builds the real backend.
    let trait: String

    /// Whether `location` starts with one of ``schemes`` followed by `://` (in any case).
    func claims(_ location: String) -> Bool {
        let lowered = location.lowercased()
        return schemes.contains { lowered.hasPrefix($0 + "://") }
    }

    /// The location with any password replaced by `***`.
    func redacted(_ location: String) -> String { PasswordRedaction.redact(location) }

    /// Refuses: this build cannot open the location.
    /// - Throws: `invalidInput` (field `location`) naming the trait to rebuild with; nothing is
    ///   created or connected.
    func open(_ location: String, options: StoreOpenOptions) async throws -> any PoolStore {
        try openBlocking(location, options: options)
    }

    /// ``open(_:options:)``, synchronously: it refuses the same way.
    func openBlocking(_ location: String, options: StoreOpenOptions) throws -> any PoolStore {
        throw AgentPoolError.invalidInput(field: "location", """
            cannot open '\(redacted(location))': AgentPool was built without the \(trait) trait: \
            rebuild with --traits \(trait) (a package depending on AgentPool: traits: ["\(trait)"])
            """)
    }
}
