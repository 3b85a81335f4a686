import NIOSSL

/// Where a mail-access server (POP3, IMAP) listens and the limits it enforces. It is generic over the
/// protocol's session configuration so that both servers share one ``MailAccessServer``.
public struct MailAccessServerConfiguration<Session: Sendable>: Sendable {
    /// The plain listener (the protocol's TLS upgrade is offered on it when ``tlsContext`` is set), if any.
    public var host: String?
    public var port: Int?
    /// The implicit-TLS listener, if any; it needs ``tlsContext``.
    public var implicitTLSHost: String?
    public var implicitTLSPort: Int?
    /// The TLS context for the TLS upgrade and implicit TLS; `nil` turns TLS off.
    public var tlsContext: NIOSSLContext?
    /// Replies, limits and the idle timeout of each session.
    public var session: Session
    /// Connections beyond this are refused with the protocol's error and closed.
    public var maximumConnections: Int

    public init(
        host: String?, port: Int?, implicitTLSHost: String? = nil, implicitTLSPort: Int? = nil,
        tlsContext: NIOSSLContext? = nil, session: Session, maximumConnections: Int = 1000
    ) {
        self.session = session
        self.maximumConnections = maximumConnections
        self.tlsContext = tlsContext
        self.host = host
        self.port = port
        self.implicitTLSHost = implicitTLSHost
        self.implicitTLSPort = implicitTLSPort
    }
}
