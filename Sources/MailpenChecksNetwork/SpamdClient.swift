import MailpenChecks
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scores a message with SpamAssassin's spamd over TCP (SPAMC/1.5).
///
/// One short-lived connection per message on NIO's event loops, so no Swift concurrency
/// thread ever blocks; the whole exchange has one deadline. Failures are thrown as
/// `CheckError.spamdUnavailable` with a message naming the address and the cause.
struct SpamdClient: Sendable {
    /// spamd replies are small; anything larger is not spamd.
    static let maximumReplyBytes = 1 << 20

    let configuration: SpamdConfiguration

    func check(_ message: [UInt8], command: SpamdProtocol.Command = .report) async throws -> SpamReport {
        let address = self.configuration.address
        let timeout = TimeAmount(self.configuration.timeout)
        let group = MultiThreadedEventLoopGroup.singleton
        let reply = group.next().makePromise(of: [UInt8].self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SpamdReplyCollector(reply: reply))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: self.configuration.host, port: self.configuration.port).get()
        } catch {
            reply.fail(error)
            throw CheckError.spamdUnavailable("spamd at \(address) is unreachable: \(Self.describe(error))")
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            reply.fail(SpamdTimeout())
            channel.close(promise: nil)
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        let request = SpamdProtocol.request(command, message: message, user: self.configuration.user)
        channel.writeAndFlush(ByteBuffer(bytes: request), promise: nil)
        let bytes: [UInt8]
        do {
            bytes = try await reply.futureResult.get()
        } catch is SpamdTimeout {
            throw CheckError.spamdUnavailable("spamd at \(address) did not answer within \(self.configuration.timeout)")
        } catch {
            throw CheckError.spamdUnavailable("spamd at \(address) failed: \(Self.describe(error))")
        }
        do {
            return try SpamdProtocol.parseReply(bytes, command: command)
        } catch {
            throw CheckError.spamdUnavailable("spamd at \(address) sent an unusable reply: \(error)")
        }
    }

    /// A short cause for people ("connection refused", not an errno dump).
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return "connection refused"
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "cannot resolve \(error.host)"
            }
            if let first = error.connectionErrors.first {
                return Self.describe(first.error)
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "connection timed out"
        }
        return String(describing: error)
    }
}

/// Fails the reply promise when the deadline passes.
private struct SpamdTimeout: Error {}

/// Collects spamd's reply until it closes the connection.
private final class SpamdReplyCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let reply: EventLoopPromise<[UInt8]>
    private var bytes: [UInt8] = []

    init(reply: EventLoopPromise<[UInt8]>) {
        self.reply = reply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        if let chunk = buffer.readBytes(length: buffer.readableBytes) {
            self.bytes.append(contentsOf: chunk)
        }
        if self.bytes.count > SpamdClient.maximumReplyBytes {
            self.reply.fail(SpamdProtocol.ReplyError(description: "reply larger than 1 MiB"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.reply.succeed(self.bytes)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.reply.fail(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension SpamdReplyCollector: Sendable {}
