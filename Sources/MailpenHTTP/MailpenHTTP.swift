import Foundation
import Hummingbird
import HummingbirdCore
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
        /// Whether ingest into an inbox that does not exist creates it, as SMTP AUTH does with
        /// `--smtp-auth any`.
        public var createsInboxesOnFirstUse: Bool
        /// The `Host` names served; requests for any other name are refused (DNS rebinding).
        public var allowedHosts: AllowedHosts
        /// How long an event stream may wait for a client to take an event before it is disconnected.
        public var streamStallTimeout: Duration = .seconds(30)
        public var logger: Logger

        public init(
            store: MailpenStore, smtp: SMTPAdvertisement, checks: MessageChecks = MessageChecks(),
            metrics: MailpenMetrics = MailpenMetrics(), webRoot: String? = nil, basicAuthentication: String? = nil,
            maxMessageSize: Int = 50 * 1024 * 1024, createsInboxesOnFirstUse: Bool = true,
            allowedHosts: AllowedHosts = AllowedHosts(listeningHost: "127.0.0.1"), logger: Logger
        ) {
            self.allowedHosts = allowedHosts
            self.store = store
            self.smtp = smtp
            self.checks = checks
            self.metrics = metrics
            self.webRoot = webRoot
            self.basicAuthentication = basicAuthentication
            self.maxMessageSize = maxMessageSize
            self.createsInboxesOnFirstUse = createsInboxesOnFirstUse
            self.logger = logger
        }
    }

    /// The router with every route.
    public static func makeRouter(_ dependencies: Dependencies) -> Router<MailpenRequestContext> {
        let router = Router(context: MailpenRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: dependencies.metrics))
        router.add(middleware: BrowserGuardMiddleware(allowedHosts: dependencies.allowedHosts))
        if let credentials = dependencies.basicAuthentication {
            router.add(middleware: BasicAuthenticationMiddleware(credentials: credentials))
        }
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware())
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

    /// The router, answering HEAD on every GET route.
    public static func makeResponderBuilder(_ dependencies: Dependencies) -> HeadAwareRouter<Router<MailpenRequestContext>> {
        HeadAwareRouter(base: makeRouter(dependencies))
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
        let server = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [limiter.makeHandler()], idleTimeout: TimeAmount(limits.idleTimeout)))
        return Application(
            router: makeResponderBuilder(dependencies),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "Mailpen"),
            onServerRunning: onServerRunning,
            logger: dependencies.logger)
    }
}

extension Request {
    /// All values of a query parameter, decoded as HTML forms and `URLSearchParams` encode them: `+` is a
    /// space, `%XX` a byte (so `%2B` is a plus). A value that is not valid percent-encoded UTF-8 is a 400.
    func queryValues(_ name: String) throws -> [String] {
        guard let query = uri.query, !query.isEmpty else { return [] }
        var values: [String] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecoded(parts[0]) == name else { continue }
            guard parts.count > 1 else {
                values.append("")
                continue
            }
            guard let value = Self.formDecoded(parts[1]) else {
                throw APIError.badRequest("query parameter '\(name)' is not valid percent-encoded UTF-8: '\(parts[1])'")
            }
            values.append(value)
        }
        return values
    }

    /// The first value of a query parameter (see ``queryValues(_:)``).
    func queryValue(_ name: String) throws -> String? {
        try queryValues(name).first
    }

    private static func formDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The body decoded from JSON; malformed JSON or a wrong shape is a 400 that says what is wrong.
    func decodeJSON<Value: Decodable>(as type: Value.Type) async throws -> Value {
        try requireContentType(["application/json"], for: "a JSON body")
        var body = try await self.body.collect(upTo: 1024 * 1024)
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        do {
            return try APIJSON.decoder.decode(Value.self, from: Data(bytes))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw APIError.badRequest("invalid JSON body: \(DecodingErrorDescription.describe(error))")
        }
    }

    /// Refuses a body of another media type with 415. Browsers send forms and `text/plain` across origins
    /// without asking first; they cannot send these types that way, so this is part of the origin guard.
    func requireContentType(_ accepted: [String], for what: String) throws {
        let mediaType = headers[.contentType].map(Self.mediaType) ?? ""
        guard accepted.contains(mediaType) || (accepted.contains("application/json") && mediaType.hasSuffix("+json")) else {
            let given = mediaType.isEmpty ? "none" : mediaType
            throw APIError(
                .unsupportedMediaType,
                "\(what) needs Content-Type \(accepted.joined(separator: " or ")), not \(given)")
        }
    }

    /// `type/subtype` of a Content-Type value, lower-cased, without parameters.
    private static func mediaType(_ value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// A query parameter, or a 400 naming it when it is malformed.
    func query<Value: LosslessStringConvertible>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = try queryValue(name) else { return nil }
        guard let value = Value(String(text)) else {
            throw APIError.badRequest("query parameter '\(name)' is not a valid \(Value.self): '\(text)'")
        }
        return value
    }

    /// Whether a flag query parameter (`?download=1`) is on; anything but `0` or `1` is a 400.
    func flag(_ name: String) throws -> Bool {
        guard let value = try queryValue(name) else { return false }
        switch value {
        case "1": return true
        case "0": return false
        default: throw APIError.badRequest("query parameter '\(name)' takes 0 or 1, not '\(value)'")
        }
    }
}
