import Logging
import NIOSSL

/// What a mail-access server gives each connection's handler: its backend, the TLS context for the
/// protocol's upgrade, the connection limit and the logger. One type for the POP3 and IMAP handlers,
/// generic over their backend.
public struct ConnectionDependencies<Backend: Sendable>: Sendable {
    public var backend: Backend
    public var tlsContext: NIOSSLContext?
    public var connectionLimiter: ConnectionLimiter
    public var logger: Logger

    public init(backend: Backend, tlsContext: NIOSSLContext?, connectionLimiter: ConnectionLimiter, logger: Logger) {
        self.backend = backend
        self.tlsContext = tlsContext
        self.connectionLimiter = connectionLimiter
        self.logger = logger
    }
}
