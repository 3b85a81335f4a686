import Logging
import MailpenIMAPCore
import MailpenListener
import NIOCore
import NIOPosix

/// Listens for IMAP connections (plain with STARTTLS, and/or implicit TLS) and runs an
/// ``IMAPSessionStateMachine`` for each over an ``IMAPBackend``. Connections beyond the configured maximum
/// get `* BYE`; on shutdown every session is told the server is going (`* BYE`).
public typealias IMAPServer = MailAccessServer<IMAPSessionStateMachine.Configuration>

extension MailAccessServer where Session == IMAPSessionStateMachine.Configuration {
    /// `backend` checks logins, loads and changes messages and reports each inbox's changes.
    public init(
        configuration: Configuration, backend: any IMAPBackend,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mailpen.imap")
    ) {
        let limiter = ConnectionLimiter(maximum: configuration.maximumConnections)
        let dependencies = IMAPServerHandler.Dependencies(
            backend: backend, tlsContext: configuration.tlsContext, connectionLimiter: limiter, logger: logger)
        self.init(
            protocolName: "IMAP", implicitTLSOption: "--imaps", configuration: configuration,
            connectionLimiter: limiter, eventLoopGroup: eventLoopGroup, offersTLSUpgrade: \.offersStartTLS
        ) { session, isImplicitTLS in
            IMAPServerHandler(configuration: session, isImplicitTLS: isImplicitTLS, dependencies: dependencies)
        }
    }
}
