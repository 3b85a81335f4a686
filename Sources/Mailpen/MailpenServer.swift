import Foundation
import Logging
import MailpenChecks
import MailpenCompat
import MailpenHTTP
import MailpenIMAP
import MailpenPOP3
import MailpenPostgres
import MailpenRelay
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import MailpenWebhooks
import NIOCore
import NIOSSL
import ServiceLifecycle

/// A complete Mailpen: the store, the SMTP listener(s) and the HTTP server, started and stopped together.
///
/// `mailpen serve` runs one; a Swift test suite can run one in-process on ephemeral ports (port 0) and
/// read the bound ports back.
public actor MailpenServer {
    public let configuration: MailpenConfiguration
    let logger: Logger
    /// The server's Prometheus metrics, also served at `/metrics`.
    public let metrics = MailpenMetrics()
    private var smtp: SMTPServer?
    var pop3: POP3Server?
    var imap: IMAPServer?
    var mailboxWatcher: MailboxWatcher?
    private var httpTask: Task<Void, any Error>?
    private var httpGroup: ServiceGroup?
    private var maintenanceTask: Task<Void, Never>?
    /// The chaos rules in force (on a store that keeps them), and the task that keeps them fresh.
    private var chaos: ChaosRules?
    private var chaosTask: Task<Void, Never>?
    /// Counts deletions for the metrics.
    private var deletionTask: Task<Void, Never>?
    /// Sends released mail to the configured relays, once started.
    public private(set) var relays: RelayService?
    /// Pushes inbox events to their webhooks, once started.
    var webhooks: WebhookService?

    /// The open store, once started.
    public private(set) var store: (any MailpenStore)?
    /// The bound SMTP address, once started.
    public private(set) var smtpAddress: SocketAddress?
    /// The bound implicit-TLS SMTP address, if configured, once started.
    public private(set) var smtpsAddress: SocketAddress?
    /// The bound POP3 addresses (plain, implicit TLS), if configured, once started.
    public internal(set) var pop3Address: SocketAddress?
    public internal(set) var pop3sAddress: SocketAddress?
    /// The bound IMAP addresses (plain, implicit TLS), if configured, once started.
    public internal(set) var imapAddress: SocketAddress?
    public internal(set) var imapsAddress: SocketAddress?
    /// The bound HTTP address, once started.
    public private(set) var httpAddress: SocketAddress?
    /// The bound MailHog API address, if configured, once started.
    public private(set) var mailHogAddress: SocketAddress?

    public init(configuration: MailpenConfiguration, logger: Logger = Logger(label: "mailpen")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens the store and binds every listener. Throws if any of them cannot start (nothing is left running).
    public func start() async throws {
        let store = try await openStore()
        self.store = store
        deletionTask = await DeletionCounter(store: store, metrics: metrics).start()
        do {
            let tlsContext = try makeTLSContext()
            if let queue = store as? any DeliveryQueue {
                try await startRelays(store: store, queue: queue)
            }
            try await startWebhooks(store: store)
            if let chaosStore = store as? any ChaosRuleStore & MailpenStore {
                let chaos = ChaosRules(store: chaosStore, limits: configuration.chaosLimits, logger: logger)
                try await chaos.refresh()
                self.chaos = chaos
                chaosTask = Task { await chaos.run() }
            }
            try await startSMTP(store: store, tlsContext: tlsContext)
            try await startMailAccess(store: store, tlsContext: tlsContext)
            try await startHTTP(store: store)
        } catch {
            await stop()
            throw error
        }
        maintenanceTask = Task { [logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(30))
                if Task.isCancelled { break }
                do {
                    let pruned = try await store.pruneExpired()
                    if pruned > 0 { logger.info("pruned \(pruned) expired message(s)") }
                } catch {
                    logger.error("pruning expired messages failed: \(error)")
                }
            }
        }
    }

    /// Stops accepting mail, lets SMTP transactions in flight finish (up to the grace period), stops the
    /// HTTP server and closes the database.
    public func stop() async {
        if let smtp {
            await smtp.shutdown()
            self.smtp = nil
        }
        await stopMailAccess()
        if let httpTask {
            await httpGroup?.triggerGracefulShutdown()
            _ = await httpTask.result
            self.httpGroup = nil
            self.httpTask = nil
        }
        maintenanceTask?.cancel()
        maintenanceTask = nil
        if let webhooks {
            await webhooks.stop()
            self.webhooks = nil
        }
        chaosTask?.cancel()
        chaosTask = nil
        deletionTask?.cancel()
        deletionTask = nil
        if let chaos {
            // The last hits counted reach the store before it closes.
            try? await chaos.refresh()
            self.chaos = nil
        }
        if let relays {
            await relays.stop(grace: .seconds(Int64(configuration.shutdownGraceSeconds)))
            self.relays = nil
        }
        if let store {
            do {
                try await store.close()
            } catch {
                logger.error("closing the database failed: \(error)")
            }
            self.store = nil
        }
    }

    /// The SQLite store, or the PostgreSQL one for a `postgres://` database: that one is waited for while its
    /// server is out of reach (each attempt logged), so that nodes started before their database do not
    /// crash-loop.
    private func openStore() async throws -> any MailpenStore {
        guard let url = configuration.postgresURL else {
            return try SQLiteStore(
                configuration: .init(
                    path: configuration.databasePath, retention: configuration.retention,
                    durability: configuration.durability),
                logger: logger)
        }
        return try await PostgresStore.open(
            .init(
                url: url, retention: configuration.retention, synchronousCommit: configuration.durability == .full,
                poolSize: configuration.postgresPoolSize),
            logger: logger, retryingEvery: .seconds(30))
    }

    private func makeTLSContext() throws -> NIOSSLContext? {
        switch configuration.tls {
        case .off:
            return nil
        case .automatic:
            return try SMTPTLS.makeSelfSignedContext(hostname: configuration.hostname)
        case .files(let certificate, let privateKey):
            return try SMTPTLS.makeContext(certificatePath: certificate, privateKeyPath: privateKey)
        }
    }

    private func startRelays(store: any MailpenStore, queue: any DeliveryQueue) async throws {
        let relays = RelayService(
            configuration: configuration.relays, store: store, queue: queue, hostname: configuration.hostname,
            metricsFactory: metrics.metricsFactory, logger: logger)
        try await relays.start()
        self.relays = relays
    }

    private func startSMTP(store: any MailpenStore, tlsContext: NIOSSLContext?) async throws {
        let delivery = StoreDelivery(
            store: store, policy: configuration.authenticationPolicy, metrics: metrics, logger: logger)
        let smtp = SMTPServer(
            configuration: .init(
                host: configuration.smtpHost,
                port: configuration.smtpPort,
                implicitTLSHost: configuration.smtpsHost,
                implicitTLSPort: configuration.smtpsPort,
                tlsContext: tlsContext,
                session: .init(
                    hostname: configuration.hostname,
                    maximumMessageSize: configuration.maximumMessageSize,
                    maximumRecipients: configuration.maximumRecipients, helpURL: configuredWebURL),
                maximumConnections: configuration.maximumConnections,
                idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)),
                maximumLineLength: configuration.maximumLineLength,
                shutdownGracePeriod: .seconds(Int64(configuration.shutdownGraceSeconds))),
            deliveryHandler: delivery,
            authenticator: delivery,
            observer: SMTPMetricsObserver(metrics: metrics),
            stageInterceptor: chaos.map { ChaosInterceptor(rules: $0, metrics: metrics) },
            logger: logger)
        self.smtp = smtp
        try await smtp.start()
        let addresses = await smtp.localAddresses
        smtpAddress = addresses.first
        smtpsAddress = addresses.count > 1 ? addresses[1] : nil
    }

    /// The web UI's address for SMTP's HELP reply, from the configuration: SMTP starts before HTTP (whose
    /// API shows the bound SMTP port), so the bound HTTP address is not known yet. `nil` for port 0.
    private var configuredWebURL: String? {
        guard configuration.httpPort != 0 else { return nil }
        let host = ["0.0.0.0", "::"].contains(configuration.httpHost) ? configuration.hostname : configuration.httpHost
        return "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.httpPort)/"
    }

    private func startHTTP(store: any MailpenStore) async throws {
        let (bound, continuation) = AsyncStream<SocketAddress?>.makeStream()
        var checks = MessageChecks()
        checks.linkFollowing.allowsPrivateAddresses = configuration.linksAllowPrivate
        if let spamd = configuration.spamd {
            guard var spamdConfiguration = SpamdConfiguration(address: spamd) else {
                throw MailpenServerError.invalidSpamdAddress(spamd)
            }
            spamdConfiguration.maximumMessageBytes = configuration.spamdMaximumMessageSize
            checks.spamEngine = .spamassassin(spamdConfiguration)
        }
        let advertisement = SMTPAdvertisement(
            host: advertisedHost(configuration.smtpHost),
            port: smtpAddress?.port ?? configuration.smtpPort,
            startTLS: configuration.tls != .off,
            implicitTLSPort: smtpsAddress?.port)
        var dependencies = MailpenHTTP.Dependencies(
            store: store, smtp: advertisement, checks: checks, metrics: metrics, webRoot: configuration.webRoot,
            basicAuthentication: configuration.uiAuthentication, maximumMessageSize: configuration.maximumMessageSize,
            createsInboxesOnFirstUse: configuration.authenticationPolicy == .any,
            allowedHosts: AllowedHosts(listeningHost: configuration.httpHost, extra: configuration.allowedHosts),
            logger: logger)
        dependencies.heartbeatInterval = configuration.heartbeatInterval
        dependencies.maximumRecipients = configuration.maximumRecipients
        dependencies.pop3 = mailAccessAdvertisement(plain: pop3Address, implicitTLS: pop3sAddress)
        dependencies.imap = mailAccessAdvertisement(plain: imapAddress, implicitTLS: imapsAddress)
        dependencies.relays = relays
        dependencies.chaos = chaos
        var compat = CompatDependencies(
            store: store, checks: checks, createsInboxesOnFirstUse: configuration.authenticationPolicy == .any,
            maximumMessageSize: configuration.maximumMessageSize, version: configuration.version,
            databasePath: configuration.databasePath, usesSpamAssassin: configuration.spamd != nil,
            heartbeatInterval: configuration.heartbeatInterval, logger: logger)
        compat.relays = relays
        compat.maximumRecipients = configuration.maximumRecipients
        compat.chaos = chaos
        compat.runtimeCounters = metrics
        dependencies.mailpitAPI = compat
        let limits = MailpenHTTP.ConnectionLimits(
            maximumConnections: configuration.httpMaximumConnections,
            idleTimeout: .seconds(configuration.httpIdleTimeoutSeconds))
        let application = MailpenHTTP.makeApplication(
            dependencies, host: configuration.httpHost, port: configuration.httpPort, limits: limits
        ) { channel in
            continuation.yield(channel.localAddress)
            continuation.finish()
        }
        var services: [any Service] = [application]
        let (mailHogBound, mailHogContinuation) = AsyncStream<SocketAddress?>.makeStream()
        if let host = configuration.mailHogAPIHost, let port = configuration.mailHogAPIPort {
            services.append(
                MailpenHTTP.makeMailHogApplication(dependencies, compat: compat, host: host, port: port, limits: limits)
                { channel in
                    mailHogContinuation.yield(channel.localAddress)
                    mailHogContinuation.finish()
                })
        } else {
            mailHogContinuation.finish()
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer {
                continuation.finish()
                mailHogContinuation.finish()
            }
            try await group.run()
        }
        httpGroup = group
        httpTask = task
        var iterator = bound.makeAsyncIterator()
        guard let address = await iterator.next() ?? nil else {
            // The server stopped before it was running: report why.
            try await task.value
            throw MailpenServerError.httpDidNotStart
        }
        httpAddress = address
        if configuration.mailHogAPIPort != nil {
            var mailHogIterator = mailHogBound.makeAsyncIterator()
            guard let address = await mailHogIterator.next() ?? nil else {
                try await task.value
                throw MailpenServerError.httpDidNotStart
            }
            mailHogAddress = address
        }
    }
}

/// Why a Mailpen server could not start.
public enum MailpenServerError: Error, CustomStringConvertible {
    case httpDidNotStart
    case invalidSpamdAddress(String)

    public var description: String {
        switch self {
        case .httpDidNotStart: return "the HTTP server did not start"
        case .invalidSpamdAddress(let address): return "--spamd needs host:port, not '\(address)'"
        }
    }
}
