// swift-tools-version:6.1
import PackageDescription

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
        .executable(name: "agentpool-torture", targets: ["AgentPoolTorture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // The SQLite backend on GRDB, linked to the system SQLite.
        .target(
            name: "AgentPoolSQLite",
            dependencies: [
                "AgentPool",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL backend on postgres-nio: the same protocol for pools that span machines.
        .target(
            name: "AgentPoolPostgres",
            dependencies: [
                "AgentPool",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Opens the backend a location names (a postgres:// URL or a SQLite path): for the CLI,
        // the examples and every program that takes "a database" from its user.
        .target(
            name: "AgentPoolStores",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolPostgres",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test support: store harnesses for every backend, random operations, child processes.
        .target(
            name: "AgentPoolTestSupport",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolPostgres",
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
        // The operators' command-line tool.
        .executableTarget(
            name: "agentpool",
            dependencies: [
                "AgentPool", "AgentPoolStores",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
        // Crash torture: writer processes SIGKILLed at random moments, the file verified each round.
        .executableTarget(
            name: "AgentPoolTorture",
            dependencies: ["AgentPool", "AgentPoolSQLite"],
            path: "Tests/AgentPoolTorture"
        ),
        // The benchmark executable: the store beside a raw SQLite baseline, in one run.
        .executableTarget(
            name: "AgentPoolBench",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolPostgres", "AgentPoolStores",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/AgentPoolBench"
        ),
        .testTarget(
            name: "AgentPoolModelTests",
            dependencies: ["AgentPool", "AgentPoolTestSupport"]
        ),
        // One conformance suite, run unchanged against every backend.
        .testTarget(
            name: "AgentPoolConformanceTests",
            dependencies: ["AgentPool", "AgentPoolTestSupport"]
        ),
        // The coordinator's rules (SPEC §7–§8) on every backend.
        .testTarget(
            name: "AgentPoolCoordinatorTests",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolPostgres", "AgentPoolTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // What only the SQLite backend has: files, schema, query plans, several processes.
        .testTarget(
            name: "AgentPoolSQLiteTests",
            dependencies: [
                "AgentPool", "AgentPoolSQLite", "AgentPoolTestSupport", "AgentPoolTestHelper", "AgentPoolTorture",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What only the PostgreSQL backend has: URLs, a server, several clients, LISTEN/NOTIFY.
        .testTarget(
            name: "AgentPoolPostgresTests",
            dependencies: [
                "AgentPool", "AgentPoolPostgres", "AgentPoolTestSupport", "AgentPoolTestHelper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The CLI, run as a real child process on real files.
        .testTarget(
            name: "AgentPoolCLITests",
            dependencies: [
                "agentpool", "AgentPool", "AgentPoolSQLite", "AgentPoolTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
