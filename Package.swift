// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "mailpen",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Mailpen", targets: ["Mailpen"]),
        .library(name: "MailpenMIME", targets: ["MailpenMIME"]),
        .library(name: "MailpenSMTP", targets: ["MailpenSMTP"]),
        .library(name: "MailpenSMTPCore", targets: ["MailpenSMTPCore"]),
        .library(name: "MailpenStore", targets: ["MailpenStore"]),
        .library(name: "MailpenOutbound", targets: ["MailpenOutbound"]),
        .library(name: "MailpenRelay", targets: ["MailpenRelay"]),
        .library(name: "MailpenTesting", targets: ["MailpenTesting"]),
        .executable(name: "mailpen", targets: ["mailpen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
    ],
    targets: [
        // RFC 5322 / MIME message model and parser. Pure Swift, no I/O.
        .target(
            name: "MailpenMIME",
            swiftSettings: swiftSettings
        ),
        // The SMTP protocol without I/O: command parser, session and AUTH state machines, input framing,
        // envelope values and the catalog of replies. No NIO, so it builds alone (and under libFuzzer).
        .target(
            name: "MailpenSMTPCore",
            dependencies: ["MailpenLineFraming"],
            swiftSettings: swiftSettings
        ),
        // Cutting command input into length-limited lines and feeding them to a session, for the SMTP and
        // POP3 cores. Pure Swift, no I/O.
        .target(
            name: "MailpenLineFraming",
            swiftSettings: swiftSettings
        ),
        // The SMTP server: NIO handlers, TLS, listeners and limits around MailpenSMTPCore, and the seam
        // to the host (SMTPBackend.swift).
        .target(
            name: "MailpenSMTP",
            dependencies: [
                "MailpenSMTPCore",
                "MailpenLineFraming",
                "MailpenListener",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Chaos rules for SMTP sessions (refuse, delay, disconnect) and the seeded decisions over them. Pure
        // Swift, no I/O: the store keeps the rules, the server asks the engine at every stage.
        .target(
            name: "MailpenChaos",
            dependencies: ["MailpenSMTPCore"],
            swiftSettings: swiftSettings
        ),
        // SQLite storage: inboxes, messages, retention, change feed.
        .target(
            name: "MailpenStore",
            dependencies: [
                "MailpenMIME",
                "MailpenSMTPCore",
                "MailpenChaos",
                "CMailpenSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Spam score, HTML compatibility, links and lint over a parsed message. Pure Swift, no I/O.
        .target(
            name: "MailpenChecks",
            dependencies: ["MailpenMIME"],
            resources: [.copy("Resources/caniemail.json"), .copy("Resources/caniemail.LICENSE")],
            swiftSettings: swiftSettings
        ),
        // The checks that do I/O: spamd over TCP and link following over HTTP.
        .target(
            name: "MailpenChecksNetwork",
            dependencies: [
                "MailpenChecks",
                "MailpenMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // Mailpit's API v1 and MailHog's API v1/v2 over the store, for their clients to use unchanged.
        .target(
            name: "MailpenCompat",
            dependencies: [
                "MailpenStore",
                "MailpenChaos",
                "MailpenRelay",
                "MailpenOutbound",
                "MailpenChecks",
                "MailpenChecksNetwork",
                "MailpenMIME",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API, server-sent events and the web UI.
        .target(
            name: "MailpenHTTP",
            dependencies: [
                "MailpenStore",
                "MailpenChaos",
                "MailpenRelay",
                "MailpenCompat",
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                "MailpenChecks",
                "MailpenChecksNetwork",
                "MailpenMIME",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL storage: the same store on a database that several Mailpen nodes share.
        .target(
            name: "MailpenPostgres",
            dependencies: [
                "MailpenStore",
                "MailpenMIME",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Webhooks: the signed payloads and retry schedule (pure), the HTTP sender and the service that
        // follows the store's changes and works through its durable webhook queue.
        .target(
            name: "MailpenWebhooks",
            dependencies: [
                "MailpenStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wires SMTP, store and HTTP into one server.
        .target(
            name: "Mailpen",
            dependencies: [
                "MailpenRelay",
                "MailpenSASL",
                "MailpenChaos",
                "MailpenSMTP",
                "MailpenSMTPCore",
                "MailpenStore",
                "MailpenPostgres",
                "MailpenHTTP",
                "MailpenMIME",
                "MailpenPOP3",
                "MailpenPOP3Core",
                "MailpenIMAP",
                "MailpenIMAPCore",
                "MailpenListener",
                "MailpenWebhooks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // TCP listeners for the mail-access servers: connection limits (the SMTP server's too), loopback checks,
        // graceful shutdown.
        .target(
            name: "MailpenListener",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // POP3 server: thin NIO handlers over the pure MailpenPOP3Core, storage behind a protocol.
        .target(
            name: "MailpenPOP3",
            dependencies: [
                "MailpenPOP3Core",
                "MailpenSASL",
                "MailpenLineFraming",
                "MailpenListener",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // IMAP server: thin NIO handlers over the pure MailpenIMAPCore, storage behind a protocol.
        .target(
            name: "MailpenIMAP",
            dependencies: [
                "MailpenIMAPCore",
                "MailpenSASL",
                "MailpenListener",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // SMTP client for relaying captured mail: pure client core, thin NIO transport.
        .target(
            name: "MailpenOutbound",
            dependencies: [
                "MailpenMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Relaying captured mail: named relays and their policy, the retry schedule, and the sender that
        // works through the store's delivery queue with the outbound client.
        .target(
            name: "MailpenRelay",
            dependencies: [
                "MailpenOutbound",
                "MailpenStore",
                "MailpenMIME",
                "MailpenSMTPCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Mailpen in-process for tests of apps that send mail: free ports, an in-memory store, send and wait.
        .target(
            name: "MailpenTesting",
            dependencies: [
                "Mailpen",
                "MailpenStore",
                "MailpenMIME",
                "MailpenSMTPCore",
                "MailpenOutbound",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Helpers shared by Mailpen's own test targets (only they depend on it): temporary folders, stores on
        // them, test envelopes.
        .target(
            name: "MailpenTestSupport",
            dependencies: [
                "MailpenStore", "MailpenTesting", "MailpenPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/MailpenTestSupport",
            swiftSettings: swiftSettings
        ),
        // POP3 server protocol as a pure state machine (no NIO, no storage); a NIO handler wires it to the store.
        .target(
            name: "MailpenPOP3Core",
            dependencies: ["MailpenSASL", "MailpenLineFraming"],
            swiftSettings: swiftSettings
        ),
        // SASL PLAIN decoding and the login facts (credentials, connection) the POP3 and IMAP cores share.
        .target(
            name: "MailpenSASL",
            swiftSettings: swiftSettings
        ),
        // IMAP4rev1 server protocol as a pure state machine and response encoder over MailpenMIME.
        .target(
            name: "MailpenIMAPCore",
            dependencies: ["MailpenMIME", "MailpenSASL"],
            swiftSettings: swiftSettings
        ),
        // Small C helpers the Swift code cannot reach directly (glibc's mallopt).
        .target(name: "CMailpenSupport"),
        .executableTarget(
            name: "mailpen",
            dependencies: [
                "Mailpen",
                "MailpenChaos",
                "MailpenPostgres",
                "MailpenMIME",
                "MailpenOutbound",
                "MailpenStore",
                "CMailpenSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmark tool: Mailpen's SMTP layer with storing taken away (see scripts/bench_smtp.py).
        .executableTarget(
            name: "mailpen-ceiling",
            dependencies: [
                "Mailpen",
                "MailpenSMTP",
                "MailpenSMTPCore",
                "MailpenStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Times the message checks against their budget (`make bench-checks`).
        .executableTarget(
            name: "bench-checks",
            dependencies: ["MailpenChecks", "MailpenMIME"],
            path: "Sources/MailpenChecksBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenMIMETests",
            dependencies: ["MailpenMIME"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenChaosTests",
            dependencies: ["MailpenChaos"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenSMTPCoreTests",
            dependencies: ["MailpenSMTPCore", "MailpenLineFraming"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenSMTPTests",
            dependencies: [
                "MailpenSMTP",
                "MailpenSMTPCore",
                "MailpenListener",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenPOP3CoreTests",
            dependencies: ["MailpenPOP3Core", "MailpenLineFraming", "MailpenSASL"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenIMAPCoreTests",
            dependencies: ["MailpenIMAPCore", "MailpenMIME", "MailpenSASL"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenStoreTests",
            dependencies: [
                "MailpenStore", "MailpenTestSupport", "MailpenTesting", "MailpenPostgres", "MailpenMIME",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Both checks targets: the network tests (Network/) share the pure ones' message builders.
        .testTarget(
            name: "MailpenChecksTests",
            dependencies: [
                "MailpenChecks",
                "MailpenChecksNetwork",
                "MailpenMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenHTTPTests",
            dependencies: [
                "MailpenHTTP",
                "MailpenStore",
                "MailpenTestSupport",
                "MailpenTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenTests",
            dependencies: [
                "Mailpen",
                "MailpenStore",
                "MailpenOutbound",
                "MailpenTestSupport",
                "MailpenTesting",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenCompatTests",
            dependencies: [
                "MailpenCompat",
                "MailpenHTTP",
                "MailpenStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenOutboundTests",
            dependencies: [
                "MailpenOutbound",
                "MailpenRelay",
                "MailpenTesting",
                "MailpenTestSupport",
                "Mailpen",
                "MailpenSMTP",
                "MailpenStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenWebhooksTests",
            dependencies: [
                "MailpenWebhooks", "MailpenStore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailpenTestingTests",
            dependencies: [
                "MailpenTesting",
                "MailpenOutbound",
                "MailpenMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets, one per module fuzzed: `make fuzz-NAME` builds them with -DFUZZING under
        // libFuzzer and AddressSanitizer (see the Makefile's fuzzer section); a plain build makes stubs.
        .executableTarget(
            name: "mime-fuzzer",
            dependencies: ["MailpenMIME"],
            path: "Tests/Fuzz/MIME",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "smtp-fuzzer",
            dependencies: ["MailpenSMTPCore", "MailpenLineFraming"],
            path: "Tests/Fuzz/SMTP",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pop3-fuzzer",
            dependencies: ["MailpenPOP3Core", "MailpenLineFraming", "MailpenSASL"],
            path: "Tests/Fuzz/POP3",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "imap-fuzzer",
            dependencies: ["MailpenIMAPCore", "MailpenMIME", "MailpenSASL"],
            path: "Tests/Fuzz/IMAP",
            swiftSettings: swiftSettings
        ),
        // The MIME parse benchmark driven by scripts/bench_mime.py (`make bench-mime`).
        .executableTarget(
            name: "mime-bench",
            dependencies: ["MailpenMIME"],
            path: "scripts/mime-bench",
            swiftSettings: swiftSettings
        ),
    ]
)

// The search grammar's libFuzzer target, for `make fuzz-search` and `make test-fuzz-search` only: they set
// MAILPEN_FUZZ and build it, in debug (it imports MailpenStore @testable), with the fuzzer sanitizer (whose
// runtime supplies `main`) in a scratch path of their own. Other builds never see it.
if Context.environment["MAILPEN_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "mailpen-search-fuzzer",
            dependencies: ["MailpenStore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/Fuzz/SearchFuzzer",
            swiftSettings: swiftSettings
        ))
}
