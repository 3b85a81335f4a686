import Logging
import MailpenIMAPCore
import MailpenListener
import NIOCore
import NIOPosix
import NIOSSL

/// Listens for IMAP connections (plain with STARTTLS, and/or implicit TLS) and runs an
/// ``IMAPSessionStateMachine`` for each over an ``IMAPBackend``.
public actor IMAPServer {
    /// Where and how the server listens, and the limits it enforces.
    public struct Configuration: Sendable {
        /// The plain listener (STARTTLS is offered on it when ``tlsContext`` is set), if any.
        public var host: String?
        public var port: Int?
        /// The implicit-TLS listener, if any; it needs ``tlsContext``.
        public var implicitTLSHost: String?
        public var implicitTLSPort: Int?
        /// The TLS context for STARTTLS and implicit TLS; `nil` turns TLS off.
        public var tlsContext: NIOSSLContext?
        /// Replies, limits and the idle timeout of each session.
        public var session: IMAPSessionStateMachine.Configuration
        /// Connections beyond this get `* BYE` and are closed.
        public var maximumConnections: Int

        public init(
            host: String? = "127.0.0.1", port: Int? = 1143, implicitTLSHost: String? = nil,
            implicitTLSPort: Int? = nil, tlsContext: NIOSSLContext? = nil,
            session: IMAPSessionStateMachine.Configuration = .init(), maximumConnections: Int = 1000
        ) {
            self.host = host
            self.port = port
            self.implicitTLSHost = implicitTLSHost
            self.implicitTLSPort = implicitTLSPort
            self.tlsContext = tlsContext
            self.session = session
            self.maximumConnections = maximumConnections
        }
    }

    private let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let dependencies: IMAPServerHandler.Dependencies
    private var listeners: [QuiescingListener] = []
    /// The bound plain listener's address, once started.
    public private(set) var plainAddress: SocketAddress?
    /// The bound implicit-TLS listener's address, once started.
    public private(set) var implicitTLSAddress: SocketAddress?

    public init(
        configuration: Configuration, backend: any IMAPBackend,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mailpen.imap")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        dependencies = IMAPServerHandler.Dependencies(
            backend: backend, tlsContext: configuration.tlsContext,
            connectionLimiter: ConnectionLimiter(maximum: configuration.maximumConnections), logger: logger)
    }

    /// The number of open IMAP connections.
    public nonisolated var connectionCount: Int { dependencies.connectionLimiter.current }

    /// Binds the configured listeners; throws (binding none) if one cannot start.
    public func start() async throws {
        do {
            if let host = configuration.host, let port = configuration.port {
                var session = configuration.session
                session.offersStartTLS = configuration.tlsContext != nil
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: false)
                plainAddress = listener.localAddress
            }
            if let host = configuration.implicitTLSHost, let port = configuration.implicitTLSPort {
                guard configuration.tlsContext != nil else { throw IMAPServerError.implicitTLSWithoutCertificate }
                var session = configuration.session
                session.offersStartTLS = false
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: true)
                implicitTLSAddress = listener.localAddress
            }
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Stops accepting; every session is told the server is going (`* BYE`) and closed. Returns when all
    /// connections are closed.
    public func shutdown() async {
        let current = listeners
        listeners = []
        for listener in current { await listener.shutdown() }
    }

    private func bind(
        host: String, port: Int, session: IMAPSessionStateMachine.Configuration, implicitTLS: Bool
    ) async throws -> QuiescingListener {
        let dependencies = self.dependencies
        let implicitContext = implicitTLS ? configuration.tlsContext : nil
        let listener = try await QuiescingListener.bind(host: host, port: port, eventLoopGroup: eventLoopGroup) {
            channel in
            let operations = channel.pipeline.syncOperations
            if let implicitContext { try operations.addHandler(NIOSSLServerHandler(context: implicitContext)) }
            try operations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(session.idleTimeout))))
            try operations.addHandler(
                IMAPServerHandler(configuration: session, isImplicitTLS: implicitTLS, dependencies: dependencies))
        }
        listeners.append(listener)
        return listener
    }
}

/// Why the IMAP server could not start.
public enum IMAPServerError: Error, CustomStringConvertible {
    case implicitTLSWithoutCertificate

    public var description: String {
        "the implicit-TLS IMAP listener (--imaps) needs a certificate: pass --tls-cert and --tls-key, or --tls auto"
    }
}
