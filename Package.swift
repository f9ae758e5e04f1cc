// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way: Effects <- Core <- Interpreters <- Host (DESIGN.md §2).
let package = Package(
    name: "CalendlyAction",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "calendly-action", targets: ["Host"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "Effects", path: "Sources/Effects"),
        .target(name: "Core", dependencies: ["Effects"], path: "Sources/Core"),
        // The system libsqlite3 (libsqlite3-dev provides the header; .ci/run installs it when missing).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // The system libcurl (libcurl4-openssl-dev provides the headers; .ci/run installs them when missing).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "Interpreters",
            dependencies: [
                "Core", "Effects", "CSQLite", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Interpreters"
        ),
        // The PostgreSQL store (issue 13) in its own target: postgres-nio's build cost and imports stay out of
        // Core, Effects and Interpreters.
        .target(
            name: "PostgresStore",
            dependencies: [
                "Core", "Effects", "Interpreters",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/PostgresStore"
        ),
        .executableTarget(
            name: "Host",
            dependencies: [
                "Core", "Effects", "Interpreters", "PostgresStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Host",
            resources: [.copy("Resources")]
        ),
        // scripts/fuzz.sh builds it with -D FUZZING -sanitize=fuzzer into a libFuzzer binary; the ordinary
        // build makes it the corpus replayer (Fuzz/Corpus). Host's PlatformToken and API types come in by symlink.
        .executableTarget(
            name: "Fuzz",
            dependencies: ["Core", "Effects", "Interpreters", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Fuzz"
        ),
        .testTarget(
            name: "Properties",
            dependencies: [
                "Core", "Effects", "Interpreters",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            path: "Tests/Properties"
        ),
        // Live interpreters over real loopback HTTP and a real SQLite file; the host's routes.
        .testTarget(
            name: "Integration",
            dependencies: [
                "Core", "Effects", "Interpreters", "Host", "PostgresStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/Integration"
        ),
        .testTarget(
            name: "Golden",
            dependencies: ["Core", "Effects", "Interpreters"],
            path: "Tests/Golden",
            exclude: ["Transcripts", "Incidents"]
        ),
    ]
)
