// swift-tools-version:6.1
import PackageDescription

/// What only the `Postgres` trait builds: the PostgreSQL backend and its driver. Sources behind it
/// are guarded by `#if Postgres`.
let postgres = TargetDependencyCondition.when(traits: ["Postgres"])

let package = Package(
    name: "AgentPool",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AgentPool", targets: ["AgentPool"]),
        .library(name: "AgentPoolSQLite", targets: ["AgentPoolSQLite"]),
        .library(name: "AgentPoolPostgres", targets: ["AgentPoolPostgres"]),
        .library(name: "AgentPoolStores", targets: ["AgentPoolStores"]),
        .executable(name: "agentpool-demo", targets: ["AgentPoolDemo"]),
        .executable(name: "agentpool", targets: ["agentpool"]),
        .executable(name: "agentpool-bench", targets: ["AgentPoolBench"]),
        .executable(name: "agentpool-workers", targets: ["AgentPoolWorkersExample"]),
        .executable(name: "agentpool-dashboard", targets: ["AgentPoolDashboardExample"]),
        .executable(name: "agentpool-mcp-agents", targets: ["AgentPoolMCPAgentsExample"]),
        .executable(name: "agentpool-torture", targets: ["AgentPoolTorture"]),
        // The conformance kit: every rule a PoolStore owes, as checks a backend's tests run.
        .library(name: "AgentPoolConformance", targets: ["AgentPoolConformance"]),
    ],
    traits: [
        // why: postgres-nio brings swift-nio, swift-crypto and two BoringSSL copies, several minutes
        // of a first build that the SQLite path never uses; off by default, so the README's demo
        // and a SQLite-only consumer build none of it.
        .trait(name: "Postgres", description: "The PostgreSQL backend (AgentPoolPostgres, and postgres:// locations in AgentPoolStores, the CLI and the examples)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        // why FullFoundation only: the default ConfigurationSupport trait builds swift-configuration,
        // which `serve` does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Domain model, pure reducer, store protocol, in-memory store. No SQL here.
        .target(
            name: "AgentPool",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // What both SQL backends share: the statement catalogue and the one pool storage over a
        // small session protocol. No database driver here.
        .target(
            name: "AgentPoolSQL",
            dependencies: ["AgentPool"]
        ),
        // The machine's realtime clock read with a raw system call (ClockCheck's reference).
        .target(name: "CAgentPoolKernelClock"),
        // A counter in a file mapping shared by processes, waited on with a futex (the
        // notifier's cross-process wake-up on Linux).
        .target(name: "CAgentPoolSharedWord"),
        // The SQLite backend on GRDB, linked to the system SQLite.
        .target(
            name: "AgentPoolSQLite",
            dependencies: [
                "AgentPool", "AgentPoolSQL", "CAgentPoolKernelClock", "CAgentPoolSharedWord",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL backend on postgres-nio: the same protocol for pools that span machines.
        // With the Postgres trait only; without it the module holds unavailable stand-ins.
        .target(
            name: "AgentPoolPostgres",
            dependencies: [
                "AgentPool", "AgentPoolSQL",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Opens the backend a location names (a postgres:// URL or a SQLite path): for the CLI,
        // the examples and every program that takes "a database" from its user.
        .target(
            name: "AgentPoolStores",
            dependencies: [
                "AgentPool", "AgentPoolSQLite",
                .target(name: "AgentPoolPostgres", condition: postgres),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The conformance kit (test code: it imports Testing): the checks every backend runs
        // through a factory of its stores, with their fixtures and the bounded `eventually` wait.
        .target(
            name: "AgentPoolConformance",
            dependencies: [
                "AgentPool",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/AgentPoolConformance"
        ),
        // Test support: this package's backends as kit factories and shared databases, the
        // multi-process scenarios, child processes.
        .target(
            name: "AgentPoolTestSupport",
            dependencies: [
                "AgentPool", "AgentPoolConformance", "AgentPoolSQLite",
                .target(name: "AgentPoolPostgres", condition: postgres),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AgentPoolTestSupport"
        ),
        // Child process used by the multi-process tests.
        .executableTarget(
            name: "AgentPoolTestHelper",
            dependencies: ["AgentPool", "AgentPoolSQLite", "AgentPoolStores", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/AgentPoolTestHelper"
        ),
        // The README's main job: two agent processes coordinating through one file.
        .executableTarget(
            name: "AgentPoolDemo",
            dependencies: ["AgentPool", "AgentPoolStores"],
            path: "Examples/TwoProcesses"
        ),
        // The MCP server of one agent run (`agentpool mcp`): tools and resources over a pool, on the
        // official Swift MCP SDK (on Linux it brings only swift-system and swift-log).
        .target(
            name: "AgentPoolMCP",
            dependencies: [
                "AgentPool",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The web console and HTTP API over the pools of one store (`agentpool serve`), on
        // Hummingbird; metrics in Prometheus text. Only the CLI links it: the libraries and the
        // demo build no SwiftNIO.
        .target(
            name: "AgentPoolConsole",
            dependencies: [
                "AgentPool",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The operators' command-line tool.
        .executableTarget(
            name: "agentpool",
            dependencies: [
                "AgentPool", "AgentPoolStores", "AgentPoolSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                "AgentPoolMCP",
                .product(name: "MCP", package: "swift-sdk"),
                "AgentPoolConsole",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Example programs, each a complete multi-process story.
        .executableTarget(
            name: "AgentPoolWorkersExample",
            dependencies: ["AgentPool", "AgentPoolStores"],
            path: "Examples/WorkerPool"
        ),
        .executableTarget(
            name: "AgentPoolDashboardExample",
            dependencies: ["AgentPool", "AgentPoolStores"],
            path: "Examples/Dashboard"
        ),
        // A planner and two workers as `agentpool mcp` servers, driven through the SDK's client.
        .executableTarget(
            name: "AgentPoolMCPAgentsExample",
            dependencies: [
                "agentpool", "AgentPoolMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/MCPAgents"
        ),
        // Crash torture: writer processes SIGKILLed at random moments, the file verified each round.
        .executableTarget(
            name: "AgentPoolTorture",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolStores",
                .target(name: "AgentPoolPostgres", condition: postgres),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/AgentPoolTorture"
        ),
        // The benchmark executable: the store beside a raw SQLite baseline, in one run.
        .executableTarget(
            name: "AgentPoolBench",
            dependencies: [
                "AgentPool", "AgentPoolSQL", "AgentPoolSQLite", "AgentPoolStores",
                .target(name: "AgentPoolPostgres", condition: postgres),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            path: "Benchmarks/AgentPoolBench"
        ),
        .testTarget(
            name: "AgentPoolModelTests",
            dependencies: ["AgentPool", "AgentPoolConformance", "AgentPoolTestSupport"]
        ),
        // The in-memory backend through the conformance kit.
        .testTarget(
            name: "AgentPoolInMemoryTests",
            dependencies: ["AgentPool", "AgentPoolConformance"]
        ),
        // The SQLite backend through the conformance kit and the multi-process scenarios, and what
        // only it has: files, schema, query plans, locks.
        .testTarget(
            name: "AgentPoolSQLiteTests",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolConformance", "AgentPoolTestSupport", "AgentPoolTestHelper", "AgentPoolTorture",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // The PostgreSQL backend through the conformance kit and the multi-process scenarios, and
        // what only it has: URLs, a server, several clients, LISTEN/NOTIFY.
        .testTarget(
            name: "AgentPoolPostgresTests",
            dependencies: [
                "AgentPool", "AgentPoolConformance", "AgentPoolTestSupport", "AgentPoolTestHelper", "AgentPoolTorture",
                .target(name: "AgentPoolPostgres", condition: postgres),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ]
        ),
        // Which backend a location opens, with the Postgres trait and without it.
        .testTarget(
            name: "AgentPoolStoresTests",
            dependencies: ["AgentPool", "AgentPoolStores"]
        ),
        // The MCP server driven in process through the SDK's client, with the CLI as another process.
        .testTarget(
            name: "AgentPoolMCPTests",
            dependencies: [
                "agentpool", "AgentPool", "AgentPoolMCP", "AgentPoolStores", "AgentPoolConformance", "AgentPoolTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        // The console's HTTP API and pages, driven in process through Hummingbird's testing client.
        .testTarget(
            name: "AgentPoolConsoleTests",
            dependencies: [
                "AgentPool", "AgentPoolConsole", "AgentPoolSQLite", "AgentPoolConformance",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The CLI, run as a real child process on real files.
        .testTarget(
            name: "AgentPoolCLITests",
            dependencies: [
                "agentpool", "AgentPool", "AgentPoolSQLite", "AgentPoolConformance", "AgentPoolTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
