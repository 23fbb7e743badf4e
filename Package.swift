// swift-tools-version:6.1
import PackageDescription

// Dependencies point down this list only (see ../shared/design.md):
// C wrappers → SIPMessage → SIPTransport / SIPTransaction → Dialplan → LegStore → daemon / CLI.
let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboardd", targets: ["switchboardd"]),
        .executable(name: "switchboard", targets: ["switchboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: C wrappers (the only places C types are visible)
        .systemLibrary(name: "COSIP", pkgConfig: "libosip2", providers: [.apt(["libosip2-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "CPhoneNumber",
            cxxSettings: [.unsafeFlags(["-I/usr/include"])],
            linkerSettings: [.linkedLibrary("phonenumber"), .linkedLibrary("geocoding"), .linkedLibrary("icuuc")]
        ),

        // MARK: SIP stack
        .target(name: "SIPMessage", dependencies: [
            "COSIP",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SIPTransaction", dependencies: [
            "SIPMessage",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SIPTransport", dependencies: [
            "SIPMessage",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "SwitchboardConfig", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: Routing and records
        .target(name: "Dialplan", dependencies: [
            "CPhoneNumber",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "LegStore", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "Billing", dependencies: [
            "LegStore",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Executables
        .executableTarget(name: "switchboardd", dependencies: [
            "SIPMessage", "SIPTransport", "SIPTransaction", "Dialplan", "SwitchboardConfig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .executableTarget(name: "switchboard", dependencies: [
            "Dialplan", "LegStore", "Billing", "SwitchboardConfig",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Test kit and tests
        .target(name: "SIPTestKit", dependencies: [
            "SIPMessage", "SIPTransaction",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "SIPMessageTests", dependencies: ["SIPMessage", "SIPTestKit"]),
        .testTarget(name: "SIPTransactionTests", dependencies: ["SIPTransaction", "SIPTestKit"]),
        .testTarget(name: "SIPTransportTests", dependencies: [
            "SIPTransport", "SIPTestKit",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "DialplanTests", dependencies: ["Dialplan"]),
        .testTarget(name: "SwitchboardConfigTests", dependencies: ["SwitchboardConfig"]),
        .testTarget(name: "LegStoreTests", dependencies: ["LegStore", "SIPTestKit"]),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "LegStore", "SIPTestKit"]),
        .executableTarget(name: "BillingBench", dependencies: ["Billing", "LegStore", "SIPTestKit"], path: "bench/BillingBench"),
        .testTarget(name: "IntegrationTests", dependencies: ["SIPTestKit", "SIPMessage"]),
    ],
    cxxLanguageStandard: .cxx17
)
