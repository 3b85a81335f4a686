import NIOCore
import NIOPosix
import NIOSSL

/// Delivers messages to real SMTP servers over SwiftNIO: plain TCP, STARTTLS or implicit TLS, with
/// certificate verification on unless a target turns it off. Each ``send(_:to:)`` is one delivery attempt on
/// one connection carrying all the message's recipients; it never throws, because a retry queue needs a
/// classified ``OutboundResult`` for every way an attempt can end.
public struct OutboundSMTPClient: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let tlsContexts = TLSContextCache()

    public init(eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.eventLoopGroup = eventLoopGroup
    }

    /// Makes one delivery attempt of `message` to `target`. The target's `from`, if set, replaces the
    /// message's reverse path.
    public func send(_ message: OutboundMessage, to target: RelayTarget) async -> OutboundResult {
        var message = message
        if let mailFrom = target.mailFrom { message.mailFrom = mailFrom }
        let machine = SMTPClientStateMachine(configuration: target.clientConfiguration, message: message)
        if machine.preflightProblem != nil {
            var check = machine
            if case .close(let result) = check.connected() { return result }
        }

        let serverHostname = Self.isIPAddress(target.host) ? nil : target.host
        var tlsContext: NIOSSLContext?
        if target.tls != .none {
            do {
                tlsContext = try tlsContexts.context(
                    verifiesCertificate: target.verifiesCertificate, trustRootsPath: target.trustRootsPath)
            } catch {
                return Self.failure(of: message, error: "could not set up TLS: \(error)")
            }
        }

        let eventLoop = eventLoopGroup.next()
        let result = eventLoop.makePromise(of: OutboundResult.self)
        let implicitTLS = target.tls == .implicit ? tlsContext : nil
        let startTLS =
            target.tls == .startTLS
            ? tlsContext.map { SMTPClientHandler.StartTLS(context: $0, serverHostname: serverHostname) } : nil
        let describe: @Sendable (any Error) -> String = { Self.describe($0, host: target.host) }
        let deadline = NIODeadline.now() + TimeAmount(target.timeouts.attempt)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(min(target.timeouts.connect, target.timeouts.attempt)))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let implicitTLS {
                        try operations.addHandler(
                            NIOSSLClientHandler(context: implicitTLS, serverHostname: serverHostname))
                    }
                    try operations.addHandler(
                        SMTPClientHandler(
                            machine: machine, startTLS: startTLS, result: result, deadline: deadline,
                            describeError: describe)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: target.host, port: target.port).get()
        } catch {
            let failure = Self.failure(
                of: message, error: "could not connect to \(target.host):\(target.port): \(describe(error))")
            result.succeed(failure)
            return failure
        }
        // The handler always completes the promise: every path through the machine ends in `.close`.
        let outcome =
            (try? await result.futureResult.get())
            ?? Self.failure(of: message, error: "the attempt ended without a result")
        try? await channel.closeFuture.get()
        return outcome
    }

    /// A temporary failure for every recipient, before any reply.
    private static func failure(of message: OutboundMessage, error: String) -> OutboundResult {
        OutboundResult(
            outcome: .temporaryFailure, lastReply: nil,
            recipients: message.recipients.map { .init(address: $0, reply: nil, outcome: .temporaryFailure) },
            error: error)
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// Turns NIO and TLS errors into sentences a person configuring a relay can act on.
    static func describe(_ error: any Error, host: String) -> String {
        switch error {
        case let error as SMTPReplyParser.Failure:
            return error.description
        case NIOSSLError.handshakeFailed(let reason):
            let text = "\(reason)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "TLS handshake failed: the certificate of \(host) is not trusted (CERTIFICATE_VERIFY_FAILED); "
                    + "for a staging server with a self-signed certificate set verify=false"
            }
            return "TLS handshake failed: \(text)"
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            return "TLS handshake failed: the certificate of \(host) is not valid for that name (\(error))"
        case NIOSSLError.uncleanShutdown:
            return "the server cut the TLS connection without closing TLS"
        case ChannelError.connectTimeout(let limit):
            return "timed out connecting after \(limit)"
        case let error as NIOConnectionError:
            let reasons =
                (error.connectionErrors.map { "\($0.error)" }
                    + [error.dnsAAAAError, error.dnsAError].compactMap { $0.map { "\($0)" } })
            return reasons.isEmpty ? "\(error)" : reasons.joined(separator: "; ")
        default:
            return "\(error)"
        }
    }
}
