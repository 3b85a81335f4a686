import Logging
import MailpenListener
import MailpenPOP3Core
import NIOCore
import NIOPosix
import NIOSSL

/// Listens for POP3 connections (plain with STLS, and/or implicit TLS) and runs a
/// ``POP3SessionStateMachine`` for each over a ``POP3Backend``.
public actor POP3Server {
    /// Where and how the server listens, and the limits it enforces.
    public struct Configuration: Sendable {
        /// The plain listener (STLS is offered on it when ``tlsContext`` is set), if any.
        public var host: String?
        public var port: Int?
        /// The implicit-TLS listener, if any; it needs ``tlsContext``.
        public var implicitTLSHost: String?
        public var implicitTLSPort: Int?
        /// The TLS context for STLS and implicit TLS; `nil` turns TLS off.
        public var tlsContext: NIOSSLContext?
        /// Replies, limits and the idle timeout of each session.
        public var session: POP3SessionStateMachine.Configuration
        /// Connections beyond this get `-ERR [SYS/TEMP]` and are closed.
        public var maximumConnections: Int

        public init(
            host: String? = "127.0.0.1", port: Int? = 1110, implicitTLSHost: String? = nil,
            implicitTLSPort: Int? = nil, tlsContext: NIOSSLContext? = nil,
            session: POP3SessionStateMachine.Configuration = .init(), maximumConnections: Int = 1000
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
    private let dependencies: POP3ServerHandler.Dependencies
    private var listeners: [QuiescingListener] = []
    /// The bound plain listener's address, once started.
    public private(set) var plainAddress: SocketAddress?
    /// The bound implicit-TLS listener's address, once started.
    public private(set) var implicitTLSAddress: SocketAddress?

    public init(
        configuration: Configuration, backend: any POP3Backend,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mailpen.pop3")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        dependencies = POP3ServerHandler.Dependencies(
            backend: backend, tlsContext: configuration.tlsContext,
            connectionLimiter: ConnectionLimiter(maximum: configuration.maximumConnections), logger: logger)
    }

    /// The number of open POP3 connections.
    public nonisolated var connectionCount: Int { dependencies.connectionLimiter.current }

    /// Binds the configured listeners; throws (binding none) if one cannot start.
    public func start() async throws {
        do {
            if let host = configuration.host, let port = configuration.port {
                var session = configuration.session
                session.offersSTLS = configuration.tlsContext != nil
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: false)
                plainAddress = listener.localAddress
            }
            if let host = configuration.implicitTLSHost, let port = configuration.implicitTLSPort {
                guard configuration.tlsContext != nil else { throw POP3ServerError.implicitTLSWithoutCertificate }
                var session = configuration.session
                session.offersSTLS = false
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: true)
                implicitTLSAddress = listener.localAddress
            }
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Stops accepting; every session is told the server is going (`-ERR [SYS/TEMP]`, deletions not
    /// applied) and closed. Returns when all connections are closed.
    public func shutdown() async {
        let current = listeners
        listeners = []
        for listener in current { await listener.shutdown() }
    }

    private func bind(
        host: String, port: Int, session: POP3SessionStateMachine.Configuration, implicitTLS: Bool
    ) async throws -> QuiescingListener {
        let dependencies = self.dependencies
        let implicitContext = implicitTLS ? configuration.tlsContext : nil
        let listener = try await QuiescingListener.bind(host: host, port: port, eventLoopGroup: eventLoopGroup) {
            channel in
            let operations = channel.pipeline.syncOperations
            if let implicitContext { try operations.addHandler(NIOSSLServerHandler(context: implicitContext)) }
            try operations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(session.idleTimeout))))
            try operations.addHandler(
                POP3ServerHandler(configuration: session, isImplicitTLS: implicitTLS, dependencies: dependencies))
        }
        listeners.append(listener)
        return listener
    }
}

/// Why the POP3 server could not start.
public enum POP3ServerError: Error, CustomStringConvertible {
    case implicitTLSWithoutCertificate

    public var description: String {
        "the implicit-TLS POP3 listener (--pop3s) needs a certificate: pass --tls-cert and --tls-key, or --tls auto"
    }
}
