import NIOCore
import NIOPosix
import NIOSSL

/// A mail-access server (POP3, IMAP): a plain listener, whose sessions may upgrade to TLS, and/or an
/// implicit-TLS one, each running the protocol's handler for every connection under one connection limit.
/// The POP3 and IMAP servers are this with their own session configuration and handler.
public actor MailAccessServer<Session: Sendable> {
    public typealias Configuration = MailAccessServerConfiguration<Session>
    /// Makes the protocol handler of one connection, on the connection's event loop.
    public typealias MakeHandler = @Sendable (_ session: Session, _ isImplicitTLS: Bool) -> any ChannelHandler

    private let configuration: Configuration
    private let connectionLimiter: ConnectionLimiter
    private let eventLoopGroup: any EventLoopGroup
    private let offersTLSUpgrade: WritableKeyPath<Session, Bool>
    private let implicitTLSWithoutCertificate: ImplicitTLSWithoutCertificateError
    private let makeHandler: MakeHandler
    private var listeners: [QuiescingListener] = []
    /// The bound plain listener's address, once started.
    public private(set) var plainAddress: SocketAddress?
    /// The bound implicit-TLS listener's address, once started.
    public private(set) var implicitTLSAddress: SocketAddress?

    /// `protocolName` ("IMAP") and `implicitTLSOption` (its command-line option, "--imaps") name the
    /// server in the error ``start()`` throws for an implicit-TLS listener without a TLS context.
    /// `offersTLSUpgrade` is the session setting that offers the TLS upgrade (set on the plain listener
    /// when there is a TLS context); each handler keeps its session's idle timeout itself.
    /// `connectionLimiter` is the one the handlers hold their slots in.
    public init(
        protocolName: String, implicitTLSOption: String, configuration: Configuration,
        connectionLimiter: ConnectionLimiter, eventLoopGroup: any EventLoopGroup,
        offersTLSUpgrade: WritableKeyPath<Session, Bool>,
        makeHandler: @escaping MakeHandler
    ) {
        implicitTLSWithoutCertificate = ImplicitTLSWithoutCertificateError(
            protocolName: protocolName, option: implicitTLSOption)
        self.configuration = configuration
        self.connectionLimiter = connectionLimiter
        self.eventLoopGroup = eventLoopGroup
        self.offersTLSUpgrade = offersTLSUpgrade
        self.makeHandler = makeHandler
    }

    /// The number of open connections.
    public nonisolated var connectionCount: Int { connectionLimiter.current }

    /// Binds the configured listeners; throws (binding none) if one cannot start.
    public func start() async throws {
        do {
            if let host = configuration.host, let port = configuration.port {
                var session = configuration.session
                session[keyPath: offersTLSUpgrade] = configuration.tlsContext != nil
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: false)
                plainAddress = listener.localAddress
            }
            if let host = configuration.implicitTLSHost, let port = configuration.implicitTLSPort {
                guard configuration.tlsContext != nil else { throw implicitTLSWithoutCertificate }
                var session = configuration.session
                session[keyPath: offersTLSUpgrade] = false
                let listener = try await bind(host: host, port: port, session: session, implicitTLS: true)
                implicitTLSAddress = listener.localAddress
            }
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Stops accepting; every session is told in its protocol that the server is going, and closed.
    /// Returns when all connections are closed.
    public func shutdown() async {
        let current = listeners
        listeners = []
        for listener in current { await listener.shutdown() }
    }

    private func bind(host: String, port: Int, session: Session, implicitTLS: Bool) async throws -> QuiescingListener {
        let makeHandler = self.makeHandler
        let implicitContext = implicitTLS ? configuration.tlsContext : nil
        let listener = try await QuiescingListener.bind(host: host, port: port, eventLoopGroup: eventLoopGroup) {
            channel in
            let operations = channel.pipeline.syncOperations
            if let implicitContext { try operations.addHandler(NIOSSLServerHandler(context: implicitContext)) }
            try operations.addHandler(makeHandler(session, implicitTLS))
        }
        listeners.append(listener)
        return listener
    }
}
