// The PostgreSQL backend is built with the package trait `Postgres` only (see Package.swift):
// without it every other file of this module is empty, and these stand-ins turn a use of the
// backend into a compile error that says how to enable it.
#if !Postgres
/// Unavailable: AgentPool was built without its `Postgres` trait.
@available(*, unavailable, message: "AgentPool was built without the Postgres trait: rebuild with --traits Postgres, or depend on AgentPool with traits: [\"Postgres\"]")
public enum PostgresStore {}

/// Unavailable: AgentPool was built without its `Postgres` trait.
@available(*, unavailable, message: "AgentPool was built without the Postgres trait: rebuild with --traits Postgres, or depend on AgentPool with traits: [\"Postgres\"]")
public enum PostgresOptions {}

/// Unavailable: AgentPool was built without its `Postgres` trait.
@available(*, unavailable, message: "AgentPool was built without the Postgres trait: rebuild with --traits Postgres, or depend on AgentPool with traits: [\"Postgres\"]")
public enum PostgresLocation {}
#endif
