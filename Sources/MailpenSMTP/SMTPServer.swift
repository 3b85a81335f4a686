import Logging
import MailpenListener
import MailpenSMTPCore
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Listens for SMTP connections (and, optionally, implicit-TLS SMTPS connections) and runs an
/// ``SMTPSessionStateMachine`` for each, handing finished transactions to an ``SMTPDeliveryHandler``.
public actor SMTPServer {
    /// Where and how the server listens, and the limits it enforces.
    public struct Configuration: Sendable {
        /// The plain SMTP listener (STARTTLS is offered on it when ``startTLSContext`` is set).
        public var host: String
        public var port: Int
        /// The implicit-TLS listener, if any; it needs ``startTLSContext``.
        public var implicitTLSHost: String?
        public var implicitTLSPort: Int?
        /// The TLS context for STARTTLS and SMTPS; `nil` turns TLS off.
        public var tlsContext: NIOSSLContext?
        /// Replies and per-session limits.
        public var session: SMTPSessionStateMachine.Configuration
        /// Connections beyond this get `421 4.7.0`.
        public var maximumConnections: Int
        /// A client silent this long gets `421 4.4.2` and is disconnected.
        public var idleTimeout: TimeAmount
        /// Longest command line (without CRLF); longer ones get `500 5.5.6`.
        public var maximumLineLength: Int
        /// How long transactions in flight may run on after shutdown begins.
        public var shutdownGracePeriod: TimeAmount

        public init(
            host: String = "127.0.0.1",
            port: Int = 2525,
            implicitTLSHost: String? = nil,
            implicitTLSPort: Int? = nil,
            tlsContext: NIOSSLContext? = nil,
            session: SMTPSessionStateMachine.Configuration = .init(),
            maximumConnections: Int = 1000,
            idleTimeout: TimeAmount = .seconds(300),
            maximumLineLength: Int = 4096,
            shutdownGracePeriod: TimeAmount = .seconds(5)
        ) {
            self.host = host
            self.port = port
            self.implicitTLSHost = implicitTLSHost
            self.implicitTLSPort = implicitTLSPort
            self.tlsContext = tlsContext
            self.session = session
            self.maximumConnections = maximumConnections
            self.idleTimeout = idleTimeout
            self.maximumLineLength = maximumLineLength
            self.shutdownGracePeriod = shutdownGracePeriod
        }
    }

    private struct Listener {
        var channel: any Channel
        var quiescing: ServerQuiescingHelper
    }

    private let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let dependencies: SMTPServerHandler.Dependencies
    private var listeners: [Listener] = []

    public init(
        configuration: Configuration,
        deliveryHandler: any SMTPDeliveryHandler,
        authenticator: any SMTPAuthenticator,
        observer: (any SMTPSessionObserver)? = nil,
        stageInterceptor: (any SMTPStageInterceptor)? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mailpen.smtp")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.dependencies = SMTPServerHandler.Dependencies(
            deliveryHandler: deliveryHandler,
            authenticator: authenticator,
            startTLSContext: configuration.tlsContext,
            connectionLimiter: ConnectionLimiter(maximum: configuration.maximumConnections),
            shutdownGracePeriod: configuration.shutdownGracePeriod,
            maximumLineLength: configuration.maximumLineLength,
            idleTimeout: configuration.idleTimeout,
            observer: observer,
            stageInterceptor: stageInterceptor,
            logger: logger)
    }

    /// The addresses the server listens on: the SMTP listener first, then the SMTPS listener if any.
    public var localAddresses: [SocketAddress] {
        listeners.compactMap { $0.channel.localAddress }
    }

    /// The number of open SMTP connections.
    public nonisolated var connectionCount: Int { dependencies.connectionLimiter.current }

    /// Binds the listeners. Port 0 picks a free port; read it back from ``localAddresses``.
    public func start() async throws {
        var sessionConfiguration = configuration.session
        sessionConfiguration.consultsAtStages = dependencies.stageInterceptor != nil
        sessionConfiguration.offersStartTLS = configuration.tlsContext != nil
        listeners.append(
            try await bind(
                host: configuration.host, port: configuration.port, session: sessionConfiguration, implicitTLS: false))
        if let host = configuration.implicitTLSHost, let port = configuration.implicitTLSPort {
            guard configuration.tlsContext != nil else { throw SMTPServerError.implicitTLSWithoutCertificate }
            var implicitConfiguration = configuration.session
            implicitConfiguration.consultsAtStages = dependencies.stageInterceptor != nil
            implicitConfiguration.offersStartTLS = false
            listeners.append(try await bind(host: host, port: port, session: implicitConfiguration, implicitTLS: true))
        }
    }

    /// Stops accepting connections, lets transactions in flight finish for the grace period, then closes
    /// every session with `421 4.3.2`. Returns when all connections are closed.
    public func shutdown() async {
        let current = listeners
        listeners = []
        for listener in current {
            let promise = eventLoopGroup.next().makePromise(of: Void.self)
            listener.quiescing.initiateShutdown(promise: promise)
            try? await promise.futureResult.get()
        }
    }

    private func bind(
        host: String,
        port: Int,
        session: SMTPSessionStateMachine.Configuration,
        implicitTLS: Bool
    ) async throws -> Listener {
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let dependencies = self.dependencies
        let implicitContext = implicitTLS ? configuration.tlsContext : nil
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Set on the listening socket, from which Linux copies it to every accepted one: an option set per
            // connection would cost a system call and a chain of futures each time.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.syncOptions?.setOption(.maxMessagesPerRead, value: 16)
                    let operations = channel.pipeline.syncOperations
                    if let implicitContext {
                        try operations.addHandler(NIOSSLServerHandler(context: implicitContext))
                    }
                    let machine = SMTPSessionStateMachine(configuration: session, challengeNonce: "")
                    try operations.addHandler(
                        SMTPServerHandler(machine: machine, dependencies: dependencies))
                }
            }
            .bind(host: host, port: port)
            .get()
        return Listener(channel: channel, quiescing: quiescing)
    }
}

/// Why the SMTP server could not start.
public enum SMTPServerError: Error, CustomStringConvertible {
    case implicitTLSWithoutCertificate

    public var description: String {
        switch self {
        case .implicitTLSWithoutCertificate:
            return
                "the implicit-TLS listener (--smtps) needs a certificate: pass --tls-cert and --tls-key, or --tls auto"
        }
    }
}
