// swift-tools-version:6.0
import PackageDescription

// One target per stage of the pipeline, lowest first. A target lists only the stages below it, so
// a backward use (the worker reaching for the database, the store for a report) does not build:
//
//   PipeLabKernel → PipeLabExperiment → PipeLabNetwork → PipeLabWorker ─┐
//                                     └→ PipeLabStore ──────────────────┴→ PipeLabSweep
//                                        PipeLabStore → PipeLabReport;  all → pipelab (the CLI)
//
// docs/internals.md says what each stage owns.
let package = Package(
    name: "pipelab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pipelab", targets: ["pipelab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libsqlite3 from the system (Debian's libsqlite3-dev): see docs/internals.md.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // The variadic C calls Swift cannot make (prctl, sqlite3_config), and packet capture (recvmsg control messages).
        .target(name: "CPipeLabSupport", path: "Sources/CPipeLabSupport", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Turns Migrations/*.sql into Swift string literals at build time, so the binary carries its schema.
        .executableTarget(name: "EmbedMigrationsTool", path: "Sources/EmbedMigrationsTool"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["EmbedMigrationsTool"]),

        // System calls: sockets, pipes, signals, clocks, TCP_INFO, errno names, the host's facts.
        .target(name: "PipeLabKernel", dependencies: ["CPipeLabSupport"], path: "Sources/Kernel"),
        // The experiment as values: the dimension table, scenarios, grids and specs, steps,
        // packets, signatures and the evidence a run leaves.
        .target(name: "PipeLabExperiment", dependencies: ["PipeLabKernel"], path: "Sources/Experiment"),
        // Network namespaces, the emulated link, packet capture and pcapng.
        .target(name: "PipeLabNetwork", dependencies: ["PipeLabExperiment", "PipeLabKernel", "CPipeLabSupport"],
                path: "Sources/Network"),
        // The worker process: performs runs and reports each step; never touches the database.
        .target(name: "PipeLabWorker", dependencies: ["PipeLabNetwork", "PipeLabExperiment", "PipeLabKernel"],
                path: "Sources/Worker"),
        // The database: open and migrate, records decoded by name, the writer, merge, queries.
        .target(name: "PipeLabStore", dependencies: ["PipeLabExperiment", "PipeLabKernel", "CSQLite", "CPipeLabSupport"],
                path: "Sources/Store", plugins: ["EmbedMigrations"]),
        // The scheduler: the worker pool, timeouts, resume and shards, recording into the store.
        .target(name: "PipeLabSweep",
                dependencies: ["PipeLabStore", "PipeLabWorker", "PipeLabNetwork", "PipeLabExperiment", "PipeLabKernel"],
                path: "Sources/Sweep"),
        // Pure functions from the store's query results to Markdown, terminal text and SVG.
        .target(name: "PipeLabReport", dependencies: ["PipeLabStore", "PipeLabExperiment", "PipeLabKernel"],
                path: "Sources/Report"),
        .executableTarget(
            name: "pipelab",
            dependencies: [
                "PipeLabReport", "PipeLabSweep", "PipeLabStore", "PipeLabWorker", "PipeLabNetwork",
                "PipeLabExperiment", "PipeLabKernel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "PipeLabTests",
            dependencies: ["PipeLabReport", "PipeLabSweep", "PipeLabStore", "PipeLabWorker", "PipeLabNetwork",
                           "PipeLabExperiment", "PipeLabKernel", "pipelab"],
            exclude: ["Golden"]),
    ]
)
