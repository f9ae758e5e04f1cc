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
    ],
    targets: [
        .target(name: "Effects", path: "Sources/Effects"),
        .target(name: "Core", dependencies: ["Effects"], path: "Sources/Core"),
        .target(
            name: "Interpreters",
            dependencies: [
                "Core", "Effects",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Interpreters"
        ),
        .executableTarget(
            name: "Host",
            dependencies: [
                "Core", "Effects", "Interpreters",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Host"
        ),
        .testTarget(
            name: "Properties",
            dependencies: [
                "Core", "Effects", "Interpreters",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            path: "Tests/Properties"
        ),
        .testTarget(
            name: "Golden",
            dependencies: ["Core", "Effects", "Interpreters"],
            path: "Tests/Golden",
            exclude: ["Transcripts"]
        ),
    ]
)
