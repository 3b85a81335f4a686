import Foundation
import Hummingbird
import Logging
import MailpenChecks
import MailpenStore
import NIOCore

/// Builds the Hummingbird application that serves Mailpen's HTTP side: the JSON API under `/api/v1`,
/// server-sent events, health and metrics, and the web UI.
public enum MailpenHTTP {
    /// What the HTTP application needs from the rest of Mailpen.
    public struct Dependencies: Sendable {
        public var store: MailpenStore
        public var smtp: SMTPAdvertisement
        public var checks: MessageChecks
        public var metrics: MailpenMetrics
        /// The folder with the web UI (`index.html` and its assets), if any.
        public var webRoot: String?
        /// HTTP basic credentials (`user:password`) required for every request, if set.
        public var basicAuthentication: String?
        /// Largest message accepted by the ingest route.
        public var maxMessageSize: Int
        public var logger: Logger

        public init(
            store: MailpenStore, smtp: SMTPAdvertisement, checks: MessageChecks = MessageChecks(),
            metrics: MailpenMetrics = MailpenMetrics(), webRoot: String? = nil, basicAuthentication: String? = nil,
            maxMessageSize: Int = 50 * 1024 * 1024, logger: Logger
        ) {
            self.store = store
            self.smtp = smtp
            self.checks = checks
            self.metrics = metrics
            self.webRoot = webRoot
            self.basicAuthentication = basicAuthentication
            self.maxMessageSize = maxMessageSize
            self.logger = logger
        }
    }

    /// The router with every route.
    public static func makeRouter(_ dependencies: Dependencies) -> Router<MailpenRequestContext> {
        let router = Router(context: MailpenRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
        if let credentials = dependencies.basicAuthentication {
            router.add(middleware: BasicAuthenticationMiddleware(credentials: credentials))
        }
        router.add(middleware: ErrorMiddleware())
        if let webRoot = dependencies.webRoot {
            router.add(middleware: WebUIMiddleware(root: webRoot))
        }
        OperationsRoutes(dependencies: dependencies).register(on: router)
        let api = router.group("api/v1")
        InboxRoutes(dependencies: dependencies).register(on: api)
        MessageRoutes(dependencies: dependencies).register(on: api)
        CheckRoutes(dependencies: dependencies).register(on: api)
        EventRoutes(dependencies: dependencies).register(on: api)
        return router
    }

    /// The application listening on `host:port`; `onServerRunning` learns the bound channel.
    public static func makeApplication(
        _ dependencies: Dependencies,
        host: String,
        port: Int,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(dependencies),
            configuration: .init(address: .hostname(host, port: port), serverName: "Mailpen"),
            onServerRunning: onServerRunning,
            logger: dependencies.logger)
    }
}

extension Request {
    /// A query parameter, or a 400 naming it when it is malformed.
    func query<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Value(String(text)) else {
            throw APIError.badRequest("query parameter '\(name)' is not a valid \(Value.self): '\(text)'")
        }
        return value
    }

    /// Whether a flag query parameter (`?download=1`) is on.
    func flag(_ name: String) -> Bool {
        guard let value = uri.queryParameters[Substring(name)] else { return false }
        return ["1", "true", "yes"].contains(value.lowercased())
    }
}
