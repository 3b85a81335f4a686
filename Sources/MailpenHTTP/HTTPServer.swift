import Hummingbird
import Logging
import MailpenStore
import NIOCore

/// Builds the Hummingbird application that serves Mailpen's HTTP side.
public enum MailpenHTTP {
    /// What the HTTP application needs from the rest of Mailpen.
    public struct Dependencies: Sendable {
        public var store: MailpenStore
        public var logger: Logger

        public init(store: MailpenStore, logger: Logger) {
            self.store = store
            self.logger = logger
        }
    }

    /// The router with every route.
    public static func makeRouter(_ dependencies: Dependencies) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
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
