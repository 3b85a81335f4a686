import NIOCore
import NIOSSL
import NIOTLS

/// Runs an ``SMTPClientStateMachine`` on one connection: it cuts the server's bytes into replies, writes
/// what the machine asks for, keeps the one timer the machine's current step allows and the attempt's own
/// deadline, starts TLS after STARTTLS, and completes `result` when the machine closes the connection.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How to start TLS after STARTTLS.
    struct StartTLS {
        var context: NIOSSLContext
        /// The name for SNI and certificate verification; `nil` for an IP address (verified against the
        /// certificate's IP addresses instead).
        var serverHostname: String?
    }

    /// The message data goes to the network in blocks of this size, so the data-block timeout measures
    /// progress rather than the time for the whole message.
    static let dataBlockSize = 64 * 1024

    private var machine: SMTPClientStateMachine
    private var parser = SMTPReplyParser()
    private let startTLS: StartTLS?
    private let result: EventLoopPromise<OutboundResult>
    private let describeError: @Sendable (any Error) -> String
    /// When the whole attempt must be over, counted from before the connection was made.
    private let deadline: NIODeadline
    private var timer: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?
    private var isWritingMessage = false
    private var isHandshaking = false

    init(
        machine: SMTPClientStateMachine, startTLS: StartTLS?, result: EventLoopPromise<OutboundResult>,
        deadline: NIODeadline, describeError: @escaping @Sendable (any Error) -> String
    ) {
        self.machine = machine
        self.deadline = deadline
        self.startTLS = startTLS
        self.result = result
        self.describeError = describeError
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            perform(machine.attemptTimedOut(), context: context)
        }
        perform(machine.connected(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.connectionFailed("the server closed the connection"), context: context)
        timer?.cancel()
        deadlineTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !machine.isClosed else { return }
        let buffer = unwrapInboundIn(data)
        parser.append(buffer.readableBytesView)
        processReplies(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? TLSUserEvent, case .handshakeCompleted = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        isHandshaking = false
        perform(machine.tlsEstablished(), context: context)
        processReplies(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(machine.connectionFailed(describeError(error)), context: context)
        context.close(promise: nil)
    }

    // MARK: - Input

    private func processReplies(context: ChannelHandlerContext) {
        while !machine.isClosed && !isHandshaking {
            do {
                guard let reply = try parser.nextReply() else { return }
                perform(machine.received(reply), context: context)
            } catch {
                perform(machine.connectionFailed(error.description), context: context)
                return
            }
        }
    }

    // MARK: - Actions

    private func perform(_ action: SMTPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .send(let bytes, let timeout):
            arm(timeout, context: context)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        case .awaitReply(let timeout):
            arm(timeout, context: context)
        case .startTLS(let timeout):
            arm(timeout, context: context)
            beginTLS(context: context)
        case .sendMessage(let bytes, let blockTimeout):
            // Bytes read after the 354 came before a byte of the message: no reply can be due then. Read as
            // replies, a 250 among them would later be taken for the verdict on the whole message.
            guard !parser.hasBufferedInput else {
                perform(
                    machine.connectionFailed(
                        "the server sent more data right after its 354 reply to DATA, before the message (out of step)"),
                    context: context)
                return
            }
            // From the 354 on, the data blocks' and the final reply's own limits govern: cutting the wait
            // for the final reply short risks sending the message twice (RFC 5321 §4.5.3.2.6).
            deadlineTimer?.cancel()
            deadlineTimer = nil
            arm(blockTimeout, context: context)
            writeMessage(bytes, blockTimeout: blockTimeout, context: context)
        case .close(let outcome):
            timer?.cancel()
            timer = nil
            deadlineTimer?.cancel()
            deadlineTimer = nil
            isWritingMessage = false
            result.succeed(outcome)
            context.close(promise: nil)
        }
    }

    private func beginTLS(context: ChannelHandlerContext) {
        // Anything the server sent after its 220 came before encryption; reading it as if it came over TLS
        // is the STARTTLS injection attack (CVE-2011-0411 and kin), so it ends the attempt instead.
        guard !parser.hasBufferedInput else {
            perform(
                machine.connectionFailed(
                    "the server sent more data right after its reply to STARTTLS (refused as a possible injection)"),
                context: context)
            return
        }
        guard let startTLS else {
            perform(
                machine.connectionFailed("STARTTLS was accepted but no TLS context is configured"), context: context)
            return
        }
        do {
            let handler = try NIOSSLClientHandler(context: startTLS.context, serverHostname: startTLS.serverHostname)
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
            isHandshaking = true
        } catch {
            perform(machine.connectionFailed("could not start TLS: \(describeError(error))"), context: context)
        }
    }

    private func writeMessage(_ bytes: [UInt8], blockTimeout: Duration, context: ChannelHandlerContext) {
        isWritingMessage = true
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        var offset = 0
        while offset < buffer.readableBytes {
            let length = min(Self.dataBlockSize, buffer.readableBytes - offset)
            guard let block = buffer.getSlice(at: buffer.readerIndex + offset, length: length) else { break }
            offset += length
            let isLast = offset >= buffer.readableBytes
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenSuccess { [self] in
                guard isWritingMessage else { return }
                if isLast {
                    isWritingMessage = false
                    perform(machine.messageWritten(), context: context)
                } else {
                    arm(blockTimeout, context: context)
                }
            }
            context.write(wrapOutboundOut(block), promise: written)
        }
        context.flush()
    }

    private func arm(_ timeout: Duration, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            perform(machine.timedOut(), context: context)
        }
    }
}
