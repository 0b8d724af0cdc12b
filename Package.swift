// swift-tools-version: 6.2
import PackageDescription

/// Upcoming features every Swift target turns on (STYLE.md, after Hummingbird's manifest).
let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Core and CLI hold no unsafe code: strict memory safety, warnings as errors.
let strict: [SwiftSetting] =
    upcoming + [
        .strictMemorySafety(),
        .treatAllWarnings(as: .error),
    ]

let package = Package(
    name: "Sealbox",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sealbox", targets: ["sealbox"]),
        .library(name: "SealboxCrypto", targets: ["SealboxCrypto"]),
        .library(name: "SealboxCore", targets: ["SealboxCore"]),
        .library(name: "SealboxStore", targets: ["SealboxStore"]),
        .library(name: "SealboxLog", targets: ["SealboxLog"]),
        // For the libFuzzer harnesses in Fuzz/ (Tools/fuzz): the parsers under test, as one instrumented .so.
        .library(
            name: "SealboxFuzzable", type: .dynamic,
            targets: ["SealboxCore", "SealboxCrypto", "SealboxArchive", "SealboxIntake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: - C libraries (one Swift module imports each)
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),

        // SHA-512 on eight lanes of AVX-512 (SealboxCrypto.SHA512Lanes), in C for its intrinsics.
        .target(name: "CSHA512Lanes", path: "Sources/CSHA512Lanes"),

        // MARK: - Libraries
        .target(
            name: "SealboxCrypto", dependencies: ["CSodium", "CCrypto", "CSHA512Lanes"], swiftSettings: upcoming),
        .target(name: "SealboxCore", swiftSettings: strict),
        .target(name: "SealboxLog", dependencies: ["SealboxCrypto"], swiftSettings: upcoming),
        .target(
            name: "SealboxStore",
            dependencies: [
                "SealboxCore", "SealboxCrypto", "SealboxLog", "SealboxArchive", "CSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "SealboxArchive", dependencies: ["SealboxCrypto", "SealboxLog", "CArchive"], swiftSettings: upcoming),
        .target(
            name: "SealboxIntake", dependencies: ["SealboxCore", "SealboxCrypto", "SealboxStore"],
            swiftSettings: upcoming),
        .target(name: "SealboxReport", dependencies: ["SealboxCore"], swiftSettings: upcoming),
        .target(
            name: "SealboxServer",
            dependencies: [
                "SealboxCore", "SealboxCrypto", "SealboxStore", "SealboxIntake",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: upcoming),
        .target(
            name: "SealboxCLI",
            dependencies: [
                "SealboxCrypto", "SealboxCore", "SealboxStore", "SealboxLog", "SealboxArchive", "SealboxIntake",
                "SealboxServer", "SealboxReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "sealbox", dependencies: ["SealboxCLI"], swiftSettings: strict),
        .executableTarget(
            name: "sealbox-bench",
            dependencies: [
                "SealboxCrypto", "SealboxCore", "SealboxStore", "SealboxLog", "SealboxArchive", "SealboxServer",
                "SealboxReport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tools/Bench",
            swiftSettings: upcoming),

        // MARK: - Tests
        .target(name: "SealboxTestSupport", path: "Tests/SealboxTestSupport", swiftSettings: upcoming),
        .testTarget(
            name: "SealboxCryptoTests", dependencies: ["SealboxCrypto", "SealboxTestSupport"], swiftSettings: upcoming),
        .testTarget(name: "SealboxCoreTests", dependencies: ["SealboxCore"], swiftSettings: upcoming),
        .testTarget(
            name: "SealboxCLITests",
            dependencies: [
                "SealboxCLI", "SealboxStore", "SealboxCore", "SealboxCrypto", "SealboxServer",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: upcoming),
        .testTarget(name: "SealboxLogTests", dependencies: ["SealboxLog", "SealboxCrypto"], swiftSettings: upcoming),
        .testTarget(
            name: "SealboxArchiveTests", dependencies: ["SealboxArchive", "SealboxCrypto", "SealboxTestSupport"],
            swiftSettings: upcoming),
        .testTarget(
            name: "SealboxReportTests", dependencies: ["SealboxReport", "SealboxCore", "SealboxStore"],
            swiftSettings: upcoming),
        .testTarget(
            name: "SealboxStoreTests",
            dependencies: [
                "SealboxStore", "SealboxCore", "SealboxCrypto", "SealboxArchive", "SealboxIntake", "SealboxTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: upcoming),
    ]
)
