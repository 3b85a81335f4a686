import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import MailpenChecks
import MailpenCompat
import MailpenRelay
import MailpenStore
import NIOCore

/// Builds the Hummingbird application that serves Mailpen's HTTP side: the JSON API under `/api/v1`,
/// server-sent events, health and metrics, and the web UI.
public enum MailpenHTTP {
    /// What the HTTP application needs from the rest of Mailpen.
    public struct Dependencies: Sendable {
        public var store: any MailpenStore
        public var smtp: SMTPAdvertisement
        /// The POP3 and IMAP servers, advertised with each inbox when they run.
        public var pop3: MailAccessAdvertisement?
        public var imap: MailAccessAdvertisement?
        public var checks: MessageChecks
        public var metrics: MailpenMetrics
        /// The folder with the web UI (`index.html` and its assets), if any.
        public var webRoot: String?
        /// HTTP basic credentials (`user:password`) required for every request, if set.
        public var basicAuthentication: String?
        /// Largest message accepted by the ingest route.
        public var maximumMessageSize: Int
        /// Most envelope recipients of a message the ingest route stores, as SMTP's `--max-recipients`.
        public var maximumRecipients = 1000
        /// Whether ingest into an inbox that does not exist creates it, as SMTP AUTH does with
        /// `--smtp-auth any`.
        public var createsInboxesOnFirstUse: Bool
        /// The `Host` names served; requests for any other name are refused (DNS rebinding).
        public var allowedHosts: AllowedHosts
        /// How long an event stream may wait for a client to take an event before it is disconnected.
        public var streamStallTimeout: Duration = .seconds(30)
        /// How often an event stream gets a comment when nothing else happens.
        public var heartbeatInterval: Duration = .seconds(15)
        /// Releases to configured relays; `nil` when the server has none to offer.
        public var relays: RelayService?
        /// The chaos rules the SMTP server applies; `nil` when the store keeps none.
        public var chaos: ChaosRules?
        /// Mailpit's API v1 at its own paths beside Mailpen's (and what it needs), or `nil` to serve
        /// Mailpen's API alone.
        public var mailpitAPI: CompatDependencies?
        public var logger: Logger

        public init(
            store: any MailpenStore, smtp: SMTPAdvertisement, checks: MessageChecks = MessageChecks(),
            metrics: MailpenMetrics = MailpenMetrics(), webRoot: String? = nil, basicAuthentication: String? = nil,
            maximumMessageSize: Int = 50 * 1024 * 1024, createsInboxesOnFirstUse: Bool = true,
            allowedHosts: AllowedHosts = AllowedHosts(listeningHost: "127.0.0.1"), logger: Logger
        ) {
            self.allowedHosts = allowedHosts
            self.store = store
            self.smtp = smtp
            self.checks = checks
            self.metrics = metrics
            self.webRoot = webRoot
            self.basicAuthentication = basicAuthentication
            self.maximumMessageSize = maximumMessageSize
            self.createsInboxesOnFirstUse = createsInboxesOnFirstUse
            self.logger = logger
        }
    }

    /// The router with every route.
    public static func makeRouter(_ dependencies: Dependencies) -> Router<MailpenRequestContext> {
        let router = Router(context: MailpenRequestContext.self)
        addGuards(to: router, dependencies)
        router.add(middleware: InboxAccessMiddleware(dependencies: dependencies))
        router.add(middleware: MethodNotAllowedMiddleware.make())
        if let webRoot = dependencies.webRoot {
            router.add(middleware: WebUIMiddleware(root: webRoot))
        }
        OperationsRoutes(dependencies: dependencies).register(on: router)
        let api = router.group("api/v1")
        InboxRoutes(dependencies: dependencies).register(on: api)
        InboxMessageRoutes(dependencies: dependencies).register(on: api)
        IngestRoute(dependencies: dependencies).register(on: api)
        WaitRoute(dependencies: dependencies).register(on: api)
        MessageRoutes(dependencies: dependencies).register(on: api)
        CheckRoutes(dependencies: dependencies).register(on: api)
        EventRoutes(dependencies: dependencies).register(on: api)
        RelayRoutes(dependencies: dependencies).register(on: api)
        WebhookRoutes(dependencies: dependencies).register(on: api)
        ChaosRoutes(dependencies: dependencies).register(on: api)
        if let mailpit = dependencies.mailpitAPI {
            MailpitAPI<MailpenRequestContext>(dependencies: mailpit).register(on: router)
        }
        return router
    }

    /// What every listener puts in front of its routes: metrics, the Host and origin checks, credentials,
    /// and JSON errors.
    private static func addGuards(to router: Router<MailpenRequestContext>, _ dependencies: Dependencies) {
        router.add(middleware: PathCanonicalizationMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
        router.add(middleware: BrowserGuardMiddleware(allowedHosts: dependencies.allowedHosts))
        router.add(
            middleware: BasicAuthenticationMiddleware(
                operatorCredentials: dependencies.basicAuthentication,
                checksInboxPasswords: !dependencies.createsInboxesOnFirstUse, store: dependencies.store))
        router.add(middleware: ErrorMiddleware())
    }

    /// The router of the MailHog listener: MailHog's API v1 and v2 behind the same Host, origin and
    /// credential checks as Mailpen's API.
    public static func makeMailHogRouter(
        _ dependencies: Dependencies, compat: CompatDependencies
    ) -> Router<MailpenRequestContext> {
        let router = Router(context: MailpenRequestContext.self)
        addGuards(to: router, dependencies)
        MailHogAPI<MailpenRequestContext>(dependencies: compat).register(on: router)
        return router
    }

    /// The router, answering HEAD on every GET route.
    public static func makeResponderBuilder(_ dependencies: Dependencies) -> HeadAwareRouter<
        Router<MailpenRequestContext>
    > {
        HeadAwareRouter(base: makeRouter(dependencies))
    }

    /// The MailHog listener on `host:port`; `onServerRunning` learns the bound channel.
    public static func makeMailHogApplication(
        _ dependencies: Dependencies,
        compat: CompatDependencies,
        host: String,
        port: Int,
        limits: ConnectionLimits = ConnectionLimits(),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some ApplicationProtocol {
        let limiter = HTTPConnectionLimiter(maximum: limits.maximumConnections)
        let idleTimeout = TimeAmount(limits.idleTimeout)
        let server = HTTPServerBuilder { responder in
            AdmittedChildChannel(
                base: HTTP1Channel(
                    responder: responder,
                    configuration: .init(additionalChannelHandlers: [limiter.makeHandler()], idleTimeout: idleTimeout)),
                limiter: limiter, firstRequestTimeout: idleTimeout)
        }
        return Application(
            router: HeadAwareRouter(base: makeMailHogRouter(dependencies, compat: compat)),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "Mailpen"),
            onServerRunning: onServerRunning,
            logger: dependencies.logger)
    }

    /// Bounds on the HTTP server's connections.
    public struct ConnectionLimits: Sendable {
        /// Connections held open at once (see ``HTTPConnectionLimiter``).
        public var maximumConnections: Int
        /// How long a connection may sit without a request before it is closed.
        public var idleTimeout: Duration

        public init(maximumConnections: Int = 256, idleTimeout: Duration = .seconds(60)) {
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
        }
    }

    /// The application listening on `host:port`; `onServerRunning` learns the bound channel.
    public static func makeApplication(
        _ dependencies: Dependencies,
        host: String,
        port: Int,
        limits: ConnectionLimits = ConnectionLimits(),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some ApplicationProtocol {
        let limiter = HTTPConnectionLimiter(maximum: limits.maximumConnections)
        let router = makeResponderBuilder(dependencies)
        let webSocketResponder = router.buildResponder()
        let idleTimeout = TimeAmount(limits.idleTimeout)
        // The same router answers web socket upgrades (Mailpit's `/api/events`), behind the same middleware.
        // That channel adds its HTTP handlers at the first request, so connections are admitted before it.
        let server = HTTPServerBuilder { responder in
            AdmittedChildChannel(
                base: HandshakeGuardedChildChannel(
                    base: HTTP1WebSocketUpgradeChannel(
                        responder: responder, webSocketResponder: webSocketResponder,
                        configuration: .init(
                            http1: .init(
                                additionalChannelHandlers: [limiter.makeHandler()],
                                idleTimeout: idleTimeout),
                            ws: .init(autoPing: .enabled(timePeriod: .seconds(30))))),
                    allowedHosts: dependencies.allowedHosts),
                limiter: limiter, firstRequestTimeout: idleTimeout)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "Mailpen"),
            onServerRunning: onServerRunning,
            logger: dependencies.logger)
    }
}
