// swift-tools-version:6.1
import PackageDescription

// Targets, lowest first; dependencies point down this list only. docs/architecture.md has
// the order (its ```layers block) and a paragraph per target; scripts/check-layers fails on
// an upward edge or an unused dependency.
//  0 C wrappers:  COSIP (libosip2), CLibPQ (libpq), CPhoneNumber (libphonenumber), CFuzzDriver;
//                 each imported (`internal import`) by one Swift target only: SIPMessage (SIP
//                 and SDP), Postgres, Dialplan, Fuzz (docs/architecture.md's wrappers block)
//  1 foundations: SIPMessage, SIPDNS, SwitchboardConfig, AdminAPI, WAV, Postgres, CallLegs
//  2 protocols:   SIPTransport, SIPTransaction, SIPEdge, Dialplan, Media, LegStore
//  3 services:    Registrar, Billing, SIPTestKit (SIP test helpers)
//  4 calls:       CallEngine, Tracking, ProcessTestKit (real processes for tests, CallFixture)
//  5 operations:  SwitchboardOperations, TrackingWeb
//  6 the node:    SwitchboardDaemon
//  7 programs:    switchboardd (wiring only), switchboard (admin CLI)
//  8 tests and benchmarks (Tests/*, bench/*)
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
        // Metrics (issue 8): the daemon only; libraries stay free of a metrics backend.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `switchboard web` (issue 16). No default traits: swift-configuration and full
        // Foundation are not needed, and only the Hummingbird product is used (no TLS/HTTP2,
        // so swift-nio-ssl is never built).
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        // Issue 12 item 4: the state shared by the SIP loops (dialplan table, admission
        // counters) is read with atomics, never a global lock. Already a dependency of NIO.
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        // SIP over TLS and WebSocket (issue 15 item 6): TLS 1.2+ listeners and connections.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The admin endpoint's HTTP/1 channel (issue 18): Hummingbird's own codec between HTTP/1
        // and the version-independent HTTP types. Already a dependency of Hummingbird.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
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
        // SIPMessage is COSIP's one importer (`internal import`): SIP and SDP parsing/serialising.
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
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The edge: what strangers and floods get before any transaction exists (issue 13)
        .target(name: "SIPEdge", dependencies: ["SIPMessage"]),

        // MARK: Media (RTP, G.711, prompts, DTMF, SDP offer/answer, relay) — issue 7. SDP text
        // is parsed and written by SIPMessage's `SDPCodec` (libosip2): Media sees Swift values.
        .target(name: "Media", dependencies: [
            "SIPMessage", "WAV",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "MediaBench", dependencies: [
            "Media",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "bench/MediaBench"),

        // RFC 3263 server location: DNS SRV/A client (no dependencies; the daemon runs it off the loop)
        .target(name: "SIPDNS"),

        // The one RIFF/WAVE reader: Media plays prompts by it, Dialplan checks them by it.
        .target(name: "WAV"),

        // The libpq wrapper (the only importer of CLibPQ): connections, errors with SQLSTATE,
        // the schema-migration runner. Shared by LegStore, Billing, Registrar, Tracking, the CLI.
        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "SwitchboardConfig", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),

        // MARK: Routing and records
        .target(name: "Dialplan", dependencies: [
            "CPhoneNumber", "WAV",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Atomics", package: "swift-atomics"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The leg event: the one model of a leg's life the engine emits and the store keeps.
        .target(name: "CallLegs"),
        .target(name: "LegStore", dependencies: [
            "CallLegs", "Postgres",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Call tracking (issue 16): DNI pools, sessions, leases, attribution (no HTTP),
        // and the `switchboard web` Hummingbird app on top of it.
        // Registrar only for its plain-Swift SHA-256/HMAC (webhook signatures).
        .target(name: "Tracking", dependencies: [
            "Postgres", "Dialplan", "SwitchboardConfig", "Registrar",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "TrackingWeb", dependencies: [
            "Tracking", "Dialplan", "Postgres", "LegStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        .target(name: "Billing", dependencies: [
            "Postgres", "LegStore",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Agents, digest credentials (HA1 only), bindings with expiry, NAT flows (issue 15)
        .target(name: "Registrar", dependencies: [
            "SIPMessage", "Postgres",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CallEngine", dependencies: [
            "SIPMessage", "SIPTransaction", "Dialplan", "Media", "CallLegs",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Atomics", package: "swift-atomics"),
        ]),

        // MARK: The daemon's parts
        // The admin endpoint's JSON documents (`/queues`, `/bans`), shared by the daemon and the CLI.
        .target(name: "AdminAPI"),
        // Operations: drain, sd_notify, log redaction, metrics, the admin/metrics endpoint, reload.
        .target(name: "SwitchboardOperations", dependencies: [
            "CallLegs", "AdminAPI", "SwitchboardConfig", "SIPMessage", "SIPTransport", "SIPEdge", "Registrar", "CallEngine", "Dialplan",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The SIP service: N event loops, each with transport, transactions, engine; the edge,
        // the registrar, queue homes, the leg sink, DNS on the loops.
        .target(name: "SwitchboardDaemon", dependencies: [
            "CallLegs", "SwitchboardOperations", "AdminAPI", "SIPMessage", "SIPTransport", "SIPTransaction", "Dialplan", "SwitchboardConfig",
            "CallEngine", "LegStore", "Media", "SIPDNS", "Billing", "SIPEdge", "Registrar",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // MARK: Executables
        .executableTarget(name: "switchboardd", dependencies: [
            "SwitchboardDaemon", "SwitchboardOperations", "SwitchboardConfig", "Dialplan", "SIPMessage", "CallEngine", "Billing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(
            name: "LegStoreBench",
            dependencies: ["CallLegs", "Postgres", "LegStore", "ProcessTestKit", .product(name: "Logging", package: "swift-log")],
            path: "bench/LegStoreBench"
        ),
        .executableTarget(name: "switchboard", dependencies: [
            "Dialplan", "Postgres", "LegStore", "Billing", "SwitchboardConfig", "Tracking", "TrackingWeb", "Registrar", "AdminAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Benchmarks
        .executableTarget(name: "ParseBench", dependencies: [
            "SIPMessage",
            .product(name: "Logging", package: "swift-log"),
        ], path: "bench/ParseBench"),
        .executableTarget(name: "TransactionBench", dependencies: ["SIPTransaction", "SIPMessage", "SIPTestKit"],
                          path: "bench/TransactionBench"),

        // Coverage-guided fuzzing (issue 13): one executable, the target picked by FUZZ_TARGET.
        // A plain replay tool in the normal build; bench/fuzz/run.sh builds it with
        // -DFUZZING -sanitize=fuzzer,address into .build-fuzz, where libFuzzer provides main.
        .target(name: "CFuzzDriver", path: "bench/fuzz/CFuzzDriver"),
        .executableTarget(name: "Fuzz", dependencies: [
            "CallLegs", "CFuzzDriver", "SIPMessage", "SIPTransport", "Media", "Dialplan", "LegStore", "SIPDNS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "bench/fuzz/Fuzz"),

        // MARK: Test kits and tests
        // SIP helpers: message builders, a fake clock, recording transport and transaction
        // user, raw SIP clients, free ports, SIPp runs.
        .target(name: "SIPTestKit", dependencies: ["SIPMessage", "SIPTransaction"]),
        // Real processes a test starts and stops: PostgreSQL clusters, dnsmasq, Kamailio, the
        // daemon, the web service; and `CallFixture`, the callee → dialplan → daemon → caller
        // set-up the integration suites share.
        .target(name: "ProcessTestKit", dependencies: ["SIPTestKit"]),
        .testTarget(name: "SIPMessageTests", dependencies: ["SIPMessage", "SIPTestKit"]),
        .testTarget(name: "SIPTransactionTests", dependencies: ["SIPTransaction", "SIPMessage", "SIPTestKit"]),
        .testTarget(name: "SIPEdgeTests", dependencies: ["SIPEdge", "SIPMessage", "SIPTestKit"]),
        .testTarget(name: "SIPTransportTests", dependencies: [
            "SIPTransport", "SIPMessage", "SIPTestKit",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "DialplanTests", dependencies: ["Dialplan"]),
        .testTarget(name: "MediaTests", dependencies: [
            "Media", "SIPMessage",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "SwitchboardConfigTests", dependencies: ["SwitchboardConfig"]),
        .testTarget(name: "SIPDNSTests", dependencies: ["SIPDNS", "SIPTestKit", "ProcessTestKit"]),
        .testTarget(name: "SwitchboardDaemonTests", dependencies: [
            "SwitchboardDaemon", "SwitchboardConfig", "SIPEdge",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "SwitchboardOperationsTests", dependencies: [
            "SwitchboardOperations", "AdminAPI", "SwitchboardConfig", "SIPTransport", "CallEngine", "SIPMessage",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "DialplanBench", dependencies: ["Dialplan"], path: "bench/DialplanBench"),
        .testTarget(name: "LegStoreTests", dependencies: ["CallLegs", "Postgres", "LegStore", "SIPTestKit", "ProcessTestKit"]),
        .testTarget(name: "BillingTests", dependencies: ["CallLegs", "Billing", "Postgres", "LegStore", "SIPTestKit", "ProcessTestKit"]),
        .executableTarget(name: "BillingBench", dependencies: ["Billing", "Postgres", "LegStore", "ProcessTestKit"], path: "bench/BillingBench"),
        .testTarget(name: "IntegrationTests", dependencies: ["SIPTestKit", "ProcessTestKit", "Dialplan", "Postgres", "LegStore", "Billing", "Registrar"]),
        .testTarget(name: "TrackingTests", dependencies: [
            "CallLegs", "Tracking", "TrackingWeb", "Dialplan", "Postgres", "LegStore", "SIPTestKit", "ProcessTestKit",
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "RegistrarTests", dependencies: ["Registrar", "SIPMessage", "Postgres", "LegStore", "ProcessTestKit"]),
        .testTarget(name: "CallEngineTests", dependencies: [
            "CallLegs", "CallEngine", "Dialplan", "SIPMessage", "SIPTransaction", "SIPTransport", "SIPTestKit",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    cxxLanguageStandard: .cxx17
)
