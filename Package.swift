// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pipelab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pipelab", targets: ["pipelab"]),
        .library(name: "PipeLab", targets: ["PipeLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libsqlite3 from the system (Debian's libsqlite3-dev): see README "Design notes".
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // The variadic C calls Swift cannot make (prctl, sqlite3_config), and packet capture (recvmsg control messages).
        .target(name: "CPipeLabSupport", path: "Sources/CPipeLabSupport", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Turns Migrations/*.sql into Swift string literals at build time, so the binary carries its schema.
        .executableTarget(name: "EmbedMigrationsTool", path: "Sources/EmbedMigrationsTool"),
        .plugin(name: "EmbedMigrations", capability: .buildTool(), dependencies: ["EmbedMigrationsTool"]),
        .target(
            name: "PipeLab",
            dependencies: ["CSQLite", "CPipeLabSupport"],
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(
            name: "pipelab",
            dependencies: [
                "PipeLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PipeLabTests", dependencies: ["PipeLab", "pipelab"], exclude: ["Golden"]),
    ]
)
