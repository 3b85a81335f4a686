import ArgumentParser
import Foundation
import Logging
import Mailpen
import MailpenChaos
import MailpenPostgres
import MailpenStore
import NIOCore
import UnixSignals

/// What `mailpen serve` runs with when neither an option nor the environment says otherwise; the help shows it.
private let defaults = MailpenConfiguration()
/// The log level without `--log-level`, and for a level that is not one.
private let defaultLogLevel = Logger.Level.info

/// `mailpen serve`: runs the SMTP and HTTP servers until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture mail over SMTP and serve the web UI and API.",
        discussion:
            "Every option can also be set with an environment variable: MAILPEN_ and the option's name in capitals with underscores (--max-messages → MAILPEN_MAX_MESSAGES). A command-line option wins over the environment."
    )

    @Option(help: "SMTP listen address. (default: \(defaults.smtpHost):\(defaults.smtpPort))")
    var smtp: String?

    @Option(help: "HTTP listen address for the web UI and API. (default: \(defaults.httpHost):\(defaults.httpPort))")
    var http: String?

    @Option(
        help:
            "Listen address for MailHog's API v1 and v2 (e.g. 127.0.0.1:8026), for MailHog's clients; off by default. Mailpit's API is always on the --http listener."
    )
    var mailhogApi: String?

    @Option(
        help:
            "A host name the HTTP server also answers to, besides localhost, 127.0.0.1, [::1] and the --http host (repeatable; env: comma-separated; '*' for any). Requests for other names are refused, which stops DNS rebinding."
    )
    var allowedHost: [String] = []

    @Option(
        name: .customLong("http-max-connections"),
        help:
            "Most HTTP connections held open at once; at the limit the longest-idle one is closed. (default: \(defaults.httpMaximumConnections))"
    )
    var httpMaximumConnections: Int?

    @Option(
        help:
            "Seconds an HTTP connection may stay open without a request. (default: \(defaults.httpIdleTimeoutSeconds))")
    var httpIdleTimeout: Int?

    @Option(
        help:
            "SQLite database file; ':memory:' keeps mail in memory only; or a PostgreSQL URL, postgres://user:password@host:5432/dbname (also postgresql://), which several Mailpen nodes can share. (default: \(defaults.databasePath))"
    )
    var db: String?

    @Option(
        help:
            "Connections each node keeps to PostgreSQL for reads and changes, besides one for writing mail and one for news from other nodes. (default: \(defaults.postgresPoolSize))"
    )
    var dbPoolSize: Int?

    @Option(help: "'auto' to offer STARTTLS with a self-signed certificate made at start-up.")
    var tls: String?

    @Option(help: "PEM certificate chain for STARTTLS and SMTPS (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Implicit-TLS (SMTPS) listen address, e.g. 127.0.0.1:4650. Needs --tls auto or --tls-cert.")
    var smtps: String?

    @Option(
        help:
            "POP3 listen address, e.g. 127.0.0.1:1110 (STLS offered with --tls). Log in with an inbox's name and SMTP password. (default: off)"
    )
    var pop3: String?

    @Option(
        help:
            "Implicit-TLS POP3 (POP3S) listen address, e.g. 127.0.0.1:1995. Needs --tls auto or --tls-cert. (default: off)"
    )
    var pop3s: String?

    @Option(
        help:
            "What a POP3 client's deletions do when it quits: 'delete' the messages, or 'mark-read' and keep them. (default: \(defaults.pop3DeletionMode.rawValue))"
    )
    var pop3Delete: String?

    @Option(
        help:
            "IMAP listen address, e.g. 127.0.0.1:1143 (STARTTLS offered with --tls). Log in with an inbox's name and SMTP password. (default: off)"
    )
    var imap: String?

    @Option(
        help:
            "Implicit-TLS IMAP (IMAPS) listen address, e.g. 127.0.0.1:1993. Needs --tls auto or --tls-cert. (default: off)"
    )
    var imaps: String?

    @Flag(
        help:
            "Let POP3 and IMAP clients send a password over a connection that is neither TLS nor from this machine's loopback; by default such logins are refused."
    )
    var allowPlaintextLogin = false

    @Option(
        help:
            "'any': any AUTH credentials are accepted and the username names the inbox; 'strict': they must match an inbox's SMTP username and password. (default: \(defaults.authenticationPolicy.rawValue))"
    )
    var smtpAuth: String?

    @Option(help: "Name in the SMTP greeting. (default: \(defaults.hostname))")
    var hostname: String?

    @Option(
        name: .customLong("max-message-size"),
        help:
            "Largest accepted message, e.g. 50M, 10MiB, 1048576. (default: \(Parse.describe(size: defaults.maximumMessageSize)))"
    )
    var maximumMessageSize: String?

    @Option(
        name: .customLong("max-recipients"),
        help: "Most recipients per message, over SMTP and HTTP ingest. (default: \(defaults.maximumRecipients))")
    var maximumRecipients: Int?

    @Option(
        name: .customLong("max-connections"),
        help: "Most concurrent SMTP connections. (default: \(defaults.maximumConnections))")
    var maximumConnections: Int?

    @Option(
        help:
            "Seconds an idle SMTP client is allowed before it is disconnected. (default: \(defaults.idleTimeoutSeconds))"
    )
    var idleTimeout: Int?

    @Option(
        name: .customLong("max-line-length"),
        help: "Longest SMTP command line in octets. (default: \(defaults.maximumLineLength))")
    var maximumLineLength: Int?

    @Option(
        name: .customLong("max-messages"),
        help: "Messages kept per inbox, oldest pruned first; 0 for no limit. (default: \(defaults.maximumMessages))")
    var maximumMessages: Int?

    @Option(
        name: .customLong("max-age"),
        help:
            "Age after which messages are pruned, e.g. 7d, 12h, 30m, 3600 (seconds). (default: \(defaults.maximumAgeSeconds.map(String.init) ?? "never"))"
    )
    var maximumAge: String?

    @Option(
        name: .customLong("chaos-max-delay-ms"),
        help:
            "Longest delayMs a chaos rule may ask for, in milliseconds. (default: \(defaults.chaosLimits.maximumDelayMilliseconds))"
    )
    var chaosMaximumDelay: Int?

    @Option(
        name: .customLong("chaos-max-rules"),
        help: "Most chaos rules in one set (global or per inbox). (default: \(defaults.chaosLimits.maximumRules))")
    var chaosMaximumRules: Int?

    @Option(
        help:
            "'full': each commit is flushed to the disk (fsync) before its 250, so acknowledged mail survives power loss; 'normal': committed to the database file only, which survives a crash or kill of Mailpen but not of the machine. On PostgreSQL: synchronous_commit on or off. (default: \(defaults.durability.rawValue))"
    )
    var sync: String?

    @Option(
        help:
            "Seconds SMTP transactions in flight may finish after SIGTERM. (default: \(defaults.shutdownGraceSeconds))")
    var shutdownGrace: Int?

    @Option(help: "SpamAssassin spamd address (host:port) for the spam check; without it the built-in rules score.")
    var spamd: String?

    @Option(
        name: .customLong("spamd-max-size"),
        help:
            "Largest message the spam check sends to spamd; a larger one's check answers 422. (default: \(Parse.describe(size: defaults.spamdMaximumMessageSize)))"
    )
    var spamdMaximumMessageSize: String?

    @Flag(
        help:
            "Let the links check (?follow=1) request loopback, private and other non-public addresses, e.g. your own staging hosts; by default a captured message cannot make Mailpen probe them."
    )
    var linksAllowPrivate = false

    @Option(help: "Require HTTP basic authentication (user:password) for the web UI and API.")
    var uiAuth: String?

    @Option(
        help:
            "Folder with the web UI. (default: the web folder beside the binary, or of the source tree it was built in)"
    )
    var webRoot: String?

    @Option(
        help: "Log level: trace, debug, info, notice, warning, error, critical. (default: \(defaultLogLevel.rawValue))")
    var logLevel: String?

    @Option(
        help:
            "A relay captured mail may be released to, NAME=smtp://[user:password@]host:port?tls=…&allow=… (repeatable; env: entries separated by ';'). See docs/relay.md."
    )
    var relay: [String] = []

    @Option(help: "YAML file of relays and their retry policy (see docs/relay.md).")
    var relayConfig: String?

    func run() async throws {
        LocalTimeZone.pin()
        MemoryTuning.apply()
        let settings = Settings(environment: ProcessInfo.processInfo.environment)
        let configuration = try makeConfiguration(settings)
        let level = Logger.Level(rawValue: settings.value(logLevel, "LOG_LEVEL") ?? "") ?? defaultLogLevel
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "mailpen")
        let server = MailpenServer(configuration: configuration, logger: logger)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await server.start()
        await printBanner(server, configuration)
        for await signal in signals {
            logger.notice("received \(signal), shutting down")
            break
        }
        await server.stop()
        logger.notice("stopped")
    }

    private func makeConfiguration(_ settings: Settings) throws -> MailpenConfiguration {
        var configuration = MailpenConfiguration()
        if let smtp = settings.value(smtp, "SMTP") {
            (configuration.smtpHost, configuration.smtpPort) = try Parse.address(smtp, option: "--smtp")
        }
        if let http = settings.value(http, "HTTP") {
            (configuration.httpHost, configuration.httpPort) = try Parse.address(http, option: "--http")
        }
        if let mailHog = settings.value(mailhogApi, "MAILHOG_API") {
            let (host, port) = try Parse.address(mailHog, option: "--mailhog-api")
            configuration.mailHogAPIHost = host
            configuration.mailHogAPIPort = port
        }
        configuration.version = MailpenVersion.current
        if !allowedHost.isEmpty {
            configuration.allowedHosts = allowedHost
        } else if let hosts = settings.value(nil, "ALLOWED_HOSTS") {
            configuration.allowedHosts = hosts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let smtps = settings.value(smtps, "SMTPS") {
            let (host, port) = try Parse.address(smtps, option: "--smtps")
            configuration.smtpsHost = host
            configuration.smtpsPort = port
        }
        if let db = settings.value(db, "DB") {
            if PostgresURL.isPostgres(db) {
                do {
                    configuration.postgresURL = try PostgresURL(db)
                } catch {
                    throw ValidationError("--db: \(error)")
                }
            } else {
                configuration.databasePath = db
            }
        }
        if let size = try settings.number(dbPoolSize, "DB_POOL_SIZE", option: "--db-pool-size", in: 1...1000) {
            configuration.postgresPoolSize = size
        }
        let certificate = settings.value(tlsCert, "TLS_CERT")
        let key = settings.value(tlsKey, "TLS_KEY")
        switch (settings.value(tls, "TLS"), certificate, key) {
        case (nil, nil, nil), ("off", nil, nil):
            configuration.tls = .off
        case ("auto", nil, nil):
            configuration.tls = .automatic
        case (nil, let certificate?, let key?):
            configuration.tls = .files(certificate: certificate, privateKey: key)
        case (let mode?, nil, nil):
            throw ValidationError("--tls takes 'auto' or 'off', not '\(mode)'")
        case (_?, _, _):
            throw ValidationError("use either --tls auto or --tls-cert with --tls-key, not both")
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        if configuration.smtpsPort != nil && configuration.tls == .off {
            throw ValidationError("--smtps needs a certificate: add --tls auto or --tls-cert and --tls-key")
        }
        try readMailAccess(settings, into: &configuration)
        if let policy = settings.value(smtpAuth, "SMTP_AUTH") {
            guard let parsed = MailpenConfiguration.AuthenticationPolicy(rawValue: policy) else {
                throw ValidationError("--smtp-auth takes 'any' or 'strict', not '\(policy)'")
            }
            configuration.authenticationPolicy = parsed
        }
        if let hostname = settings.value(hostname, "HOSTNAME") { configuration.hostname = hostname }
        if let size = settings.value(maximumMessageSize, "MAX_MESSAGE_SIZE") {
            configuration.maximumMessageSize = try Parse.size(size, option: "--max-message-size")
        }
        let wholeNumbers: [(Int?, String, String, ClosedRange<Int>, WritableKeyPath<MailpenConfiguration, Int>)] = [
            (maximumRecipients, "MAX_RECIPIENTS", "--max-recipients", 1...1_000_000, \.maximumRecipients),
            (maximumConnections, "MAX_CONNECTIONS", "--max-connections", 1...1_000_000, \.maximumConnections),
            (idleTimeout, "IDLE_TIMEOUT", "--idle-timeout", 1...86_400, \.idleTimeoutSeconds),
            (maximumLineLength, "MAX_LINE_LENGTH", "--max-line-length", 512...1_048_576, \.maximumLineLength),
            (shutdownGrace, "SHUTDOWN_GRACE", "--shutdown-grace", 0...3600, \.shutdownGraceSeconds),
            (maximumMessages, "MAX_MESSAGES", "--max-messages", 0...1_000_000_000, \.maximumMessages),
            (
                httpMaximumConnections, "HTTP_MAX_CONNECTIONS", "--http-max-connections", 1...100_000,
                \.httpMaximumConnections
            ),
            (httpIdleTimeout, "HTTP_IDLE_TIMEOUT", "--http-idle-timeout", 1...86_400, \.httpIdleTimeoutSeconds),
            (
                chaosMaximumDelay, "CHAOS_MAX_DELAY_MS", "--chaos-max-delay-ms", 0...3_600_000,
                \.chaosLimits.maximumDelayMilliseconds
            ),
            (chaosMaximumRules, "CHAOS_MAX_RULES", "--chaos-max-rules", 1...10_000, \.chaosLimits.maximumRules),
        ]
        for (option, name, flag, range, property) in wholeNumbers {
            if let number = try settings.number(option, name, option: flag, in: range) {
                configuration[keyPath: property] = number
            }
        }
        if let age = settings.value(maximumAge, "MAX_AGE") {
            configuration.maximumAgeSeconds = try Parse.duration(age, option: "--max-age")
        }
        if let spamd = settings.value(spamd, "SPAMD") {
            guard (try? Parse.address(spamd, option: "--spamd")) != nil else {
                throw ValidationError("--spamd needs host:port, not '\(spamd)'")
            }
            configuration.spamd = spamd
        }
        if let size = settings.value(spamdMaximumMessageSize, "SPAMD_MAX_SIZE") {
            configuration.spamdMaximumMessageSize = try Parse.size(size, option: "--spamd-max-size")
        }
        configuration.linksAllowPrivate = try linksAllowPrivate || settings.flag("LINKS_ALLOW_PRIVATE")
        if let uiAuth = settings.value(uiAuth, "UI_AUTH") {
            guard let colon = uiAuth.firstIndex(of: ":"), colon != uiAuth.startIndex else {
                throw ValidationError("--ui-auth needs user:password")
            }
            configuration.uiAuthentication = uiAuth
        }
        configuration.webRoot = try WebRoot.locate(settings.value(webRoot, "WEB_ROOT"))
        if let sync = settings.value(sync, "SYNC") {
            guard let durability = Durability(rawValue: sync) else {
                throw ValidationError("--sync takes 'full' or 'normal', not '\(sync)'")
            }
            configuration.durability = durability
        }
        do {
            try configuration.loadRelays(
                flags: relay, environment: relay.isEmpty ? settings.value(nil, "RELAY") : nil,
                file: settings.value(relayConfig, "RELAY_CONFIG"))
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }

    /// The POP3 and IMAP options.
    private func readMailAccess(_ settings: Settings, into configuration: inout MailpenConfiguration) throws {
        let listeners:
            [(
                String?, String, String, WritableKeyPath<MailpenConfiguration, String?>,
                WritableKeyPath<MailpenConfiguration, Int?>, Bool
            )] = [
                (pop3, "POP3", "--pop3", \.pop3Host, \.pop3Port, false),
                (pop3s, "POP3S", "--pop3s", \.pop3sHost, \.pop3sPort, true),
                (imap, "IMAP", "--imap", \.imapHost, \.imapPort, false),
                (imaps, "IMAPS", "--imaps", \.imapsHost, \.imapsPort, true),
            ]
        for (option, name, flag, host, port, needsTLS) in listeners {
            guard let address = settings.value(option, name) else { continue }
            (configuration[keyPath: host], configuration[keyPath: port]) = try Parse.address(address, option: flag)
            if needsTLS && configuration.tls == .off {
                throw ValidationError("\(flag) needs a certificate: add --tls auto or --tls-cert and --tls-key")
            }
        }
        if let mode = settings.value(pop3Delete, "POP3_DELETE") {
            guard let parsed = MailpenConfiguration.POP3DeletionMode(rawValue: mode) else {
                throw ValidationError("--pop3-delete takes 'delete' or 'mark-read', not '\(mode)'")
            }
            configuration.pop3DeletionMode = parsed
        }
        configuration.allowPlaintextLogin = try allowPlaintextLogin || settings.flag("ALLOW_PLAINTEXT_LOGIN")
    }

    private func printBanner(_ server: MailpenServer, _ configuration: MailpenConfiguration) async {
        let tlsDescription: String
        switch configuration.tls {
        case .off: tlsDescription = "no STARTTLS"
        case .automatic: tlsDescription = "STARTTLS with a self-signed certificate"
        case .files(let certificate, _): tlsDescription = "STARTTLS with \(certificate)"
        }
        var lines = [
            "Mailpen \(MailpenVersion.current) is capturing mail. "
                + (configuration.relaySummaries.isEmpty
                    ? "Nothing is relayed." : "Mail is relayed only when released or matched by an auto-relay rule.")
        ]
        if let smtp = await server.smtpAddress {
            lines.append(
                "  SMTP   \(Parse.describe(smtp))  (\(tlsDescription); AUTH \(configuration.authenticationPolicy.rawValue))"
            )
        }
        if let smtps = await server.smtpsAddress {
            lines.append("  SMTPS  \(Parse.describe(smtps))  (implicit TLS)")
        }
        let plaintext =
            configuration.allowPlaintextLogin ? "plaintext login allowed" : "plaintext login on loopback or TLS only"
        let upgrade = configuration.tls == .off ? "no TLS" : "STARTTLS"
        if let pop3 = await server.pop3Address {
            let stls = configuration.tls == .off ? "no TLS" : "STLS"
            let delete = configuration.pop3DeletionMode == .delete ? "DELE deletes" : "DELE marks read"
            lines.append("  POP3   \(Parse.describe(pop3))  (\(stls); \(plaintext); \(delete))")
        }
        if let pop3s = await server.pop3sAddress {
            lines.append("  POP3S  \(Parse.describe(pop3s))  (implicit TLS)")
        }
        if let imap = await server.imapAddress {
            lines.append("  IMAP   \(Parse.describe(imap))  (\(upgrade); \(plaintext))")
        }
        if let imaps = await server.imapsAddress {
            lines.append("  IMAPS  \(Parse.describe(imaps))  (implicit TLS)")
        }
        if let http = await server.httpAddress {
            lines.append(
                "  HTTP   http://\(Parse.describe(http))/  (\(configuration.webRoot == nil ? "API only: no web UI folder found" : "web UI and API")\(configuration.uiAuthentication == nil ? "" : ", basic auth"))"
            )
            if ["0.0.0.0", "::", ""].contains(configuration.httpHost), !configuration.allowedHosts.contains("*") {
                let name = ProcessInfo.processInfo.hostName
                lines.append(
                    "         answers to localhost\(configuration.allowedHosts.map { ", " + $0 }.joined()) only; "
                        + "to reach it as http://\(name):\(http.port ?? configuration.httpPort)/ add --allowed-host \(name) "
                        + "(and any other name or address it is reached by)")
            }
        }
        if let mailHog = await server.mailHogAddress {
            lines.append("  MailHog API  http://\(Parse.describe(mailHog))/api/v2/messages")
        }
        let path =
            configuration.databasePath == ":memory:"
            ? ":memory: (mail is lost on exit)"
            : URL(fileURLWithPath: configuration.databasePath).standardizedFileURL.path
        lines.append("  DB     \(configuration.postgresURL.map { "\($0) (PostgreSQL)" } ?? path)")
        for relay in configuration.relaySummaries { lines.append("  RELAY  \(relay)") }
        try? FileHandle.standardOutput.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// Reads an option from the command line, else from `MAILPEN_<NAME>` in the environment.
struct Settings {
    let environment: [String: String]

    func value(_ option: String?, _ name: String) -> String? {
        if let option { return option }
        guard let value = environment["MAILPEN_\(name)"], !value.isEmpty else { return nil }
        return value
    }

    /// A switch from the environment: `1`/`true`/`yes` on, `0`/`false`/`no` or unset off.
    func flag(_ name: String) throws -> Bool {
        guard let text = value(nil, name) else { return false }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw ValidationError("MAILPEN_\(name) takes true or false, not '\(text)'")
        }
    }

    /// A whole number within `range`, from the option or else the environment; anything else is a usage error
    /// that names the option, its variable and the range.
    func number(_ option: Int?, _ name: String, option flag: String, in range: ClosedRange<Int>) throws -> Int? {
        let text = option.map(String.init) ?? value(nil, name)
        guard let text else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw ValidationError(
                "\(flag) (MAILPEN_\(name)) needs a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'"
            )
        }
        return number
    }
}

/// Parsers for option values.
enum Parse {
    /// `host:port`, `:port` or `[v6]:port`.
    static func address(_ text: String, option: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("\(option) needs host:port, not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }

    /// The largest message size an option may set: 1 GiB.
    static let maximumSize = 1 << 30
    /// The longest duration an option may set: 100 years, in seconds.
    static let maximumDuration = 3_153_600_000

    /// A byte count: a number with an optional K, M, G suffix (powers of 1024; `KiB`, `MB` etc. accepted),
    /// from 1 byte to ``maximumSize``.
    static func size(_ text: String, option: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let digits = trimmed.prefix(while: { $0.isASCII && $0.isNumber })
        var unit = trimmed.dropFirst(digits.count)
        for suffix in ["IB", "B"] where unit.hasSuffix(suffix) {
            unit = unit.dropLast(suffix.count)
            break
        }
        let multipliers: [Substring: Int] = ["": 1, "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024]
        guard let number = Int(digits), let multiplier = multipliers[unit], number > 0 else {
            throw ValidationError("\(option) needs a size such as 50M, 512K or 1048576, not '\(text)'")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes <= maximumSize else {
            throw ValidationError("\(option) can be at most 1G, not '\(text)'")
        }
        return bytes
    }

    /// A duration in seconds: a number with an optional s, m, h, d suffix, up to ``maximumDuration``.
    static func duration(_ text: String, option: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = trimmed.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = trimmed.dropFirst(digits.count)
        let multipliers: [Substring: Int] = ["": 1, "s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let number = Int(digits), let multiplier = multipliers[unit], number > 0 else {
            throw ValidationError("\(option) needs a duration such as 7d, 12h, 30m or 3600, not '\(text)'")
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, seconds <= maximumDuration else {
            throw ValidationError("\(option) can be at most 36500d (100 years), not '\(text)'")
        }
        return seconds
    }

    /// `bytes` as ``size(_:option:)`` reads it: `50M` rather than 52428800 when it is a whole number of units.
    static func describe(size bytes: Int) -> String {
        for (unit, multiplier) in [("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where bytes % multiplier == 0 {
            return "\(bytes / multiplier)\(unit)"
        }
        return String(bytes)
    }

    static func describe(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// Finds the web UI's folder.
enum WebRoot {
    /// The given folder (which must exist), else the `web` folder beside the binary or in the source tree
    /// above it — never whatever `./web` the working directory holds, which another project could supply.
    static func locate(_ given: String?) throws -> String? {
        let fileManager = FileManager.default
        func hasIndex(_ folder: String) -> Bool {
            fileManager.fileExists(atPath: (folder as NSString).appendingPathComponent("index.html"))
        }
        if let given {
            guard hasIndex(given) else { throw ValidationError("--web-root: no index.html in \(given)") }
            return given
        }
        let executable =
            (try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("web").path
            if hasIndex(candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}
