import Logging
import MailpenListener
import MailpenPOP3Core
import NIOCore
import NIOPosix

extension MailAccessServer where Session == POP3SessionStateMachine.Configuration {
    public init(
        configuration: Configuration, backend: any POP3Backend,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "mailpen.pop3")
    ) {
        let dependencies = POP3ServerHandler.Dependencies(
            backend: backend, tlsContext: configuration.tlsContext,
            connectionLimiter: ConnectionLimiter(maximum: configuration.maximumConnections), logger: logger)
        self.init(
            protocolName: "POP3", implicitTLSOption: "--pop3s", configuration: configuration,
            connectionLimiter: dependencies.connectionLimiter, eventLoopGroup: eventLoopGroup,
            offersTLSUpgrade: \.offersSTLS,
            makeHandler: { POP3ServerHandler(configuration: $0, isImplicitTLS: $1, dependencies: dependencies) })
    }
}

/// Listens for POP3 connections (plain with STLS, and/or implicit TLS) and runs a
/// ``POP3SessionStateMachine`` for each over a ``POP3Backend``. Connections beyond the configured maximum
/// get `-ERR [SYS/TEMP]`; on shutdown every session is told the server is going (`-ERR [SYS/TEMP]`,
/// deletions not applied).
public typealias POP3Server = MailAccessServer<POP3SessionStateMachine.Configuration>
