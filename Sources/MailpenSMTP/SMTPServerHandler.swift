import Logging
import MailpenSMTPCore
import NIOCore
import NIOExtras
import NIOSSL
import NIOTLS

/// Adapts one TCP connection to an ``SMTPSessionStateMachine``: it frames bytes as the machine asks,
/// writes its replies (flushing once per batch of pipelined commands), and runs the asynchronous work
/// the machine requests — delivery, credential checks, TLS — feeding the outcome back in.
///
/// It reads from the socket only while the machine can take input and the client takes its replies: while
/// a delivery, credential check or handshake is pending, or while replies pile up unread, the socket is not
/// read, so a client that pipelines without reading fills its own buffers, not Mailpen's memory.
final class SMTPServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Dependencies: Sendable {
        var deliveryHandler: any SMTPDeliveryHandler
        var authenticator: any SMTPAuthenticator
        var startTLSContext: NIOSSLContext?
        var connectionLimiter: ConnectionLimiter
        var shutdownGracePeriod: TimeAmount
        var maximumLineLength: Int
        var observer: (any SMTPSessionObserver)?
        var stageInterceptor: (any SMTPStageInterceptor)?
        var logger: Logger
    }

    private var machine: SMTPSessionStateMachine
    private var input: SMTPSessionInput
    private let dependencies: Dependencies
    private var buffer = ByteBuffer()
    private var needsFlush = false
    private var isProcessing = false
    private var holdsConnectionSlot = false
    private var isClosing = false
    private var graceTimer: Scheduled<Void>?
    /// A stage decision held back by an interceptor's delay.
    private var delayedDecision: Scheduled<Void>?
    /// A read the channel asked for while input was held back; issued once input may flow again.
    private var isReadPending = false
    /// A TLS handshake is under way: its bytes must be read even though the machine takes no input.
    private var isHandshaking = false
    private var logger: Logger

    init(machine: SMTPSessionStateMachine, dependencies: Dependencies) {
        self.machine = machine
        self.dependencies = dependencies
        self.input = SMTPSessionInput(maximumLineLength: dependencies.maximumLineLength)
        self.logger = dependencies.logger
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        var session = machine.session
        session.clientAddress = context.remoteAddress?.ipAddress
        session.clientPort = context.remoteAddress?.port
        machine = SMTPSessionStateMachine(
            configuration: machine.configuration, session: session, challengeNonce: Self.makeNonce())
        logger[metadataKey: "client"] = "\(session.clientAddress ?? "?"):\(session.clientPort ?? 0)"
        holdsConnectionSlot = dependencies.connectionLimiter.acquire()
        dependencies.observer?.sessionOpened()
        perform(machine.connectionOpened(accepting: holdsConnectionSlot), context: context)
        flushIfNeeded(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if holdsConnectionSlot {
            dependencies.connectionLimiter.release()
            holdsConnectionSlot = false
        }
        dependencies.observer?.sessionClosed()
        graceTimer?.cancel()
        delayedDecision?.cancel()
        if machine.isInTransaction {
            logger.debug("client disconnected in the middle of a transaction; nothing stored")
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if isClosing { return }
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        processInput(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as IdleStateHandler.IdleStateEvent where event == .read:
            perform(machine.idleTimeoutExpired(), context: context)
        case is ChannelShouldQuiesceEvent:
            perform(machine.shutdownRequested(), context: context)
            if !isClosing {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                graceTimer = context.eventLoop.scheduleTask(in: dependencies.shutdownGracePeriod) {
                    let (handler, context) = loopBound.value
                    handler.perform(handler.machine.shutdownGraceExpired(), context: context)
                }
            }
        case let event as TLSUserEvent:
            guard case .handshakeCompleted = event else { return }
            isHandshaking = false
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
            perform(machine.tlsEstablished(version: version.map(Self.describe) ?? "TLS"), context: context)
            processInput(context: context)
            resumeReadingIfPossible(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
            return
        }
        flushIfNeeded(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            processInput(context: context)
            flushIfNeeded(context: context)
            resumeReadingIfPossible(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Backpressure

    func read(context: ChannelHandlerContext) {
        if holdsInput(context: context) {
            isReadPending = true
        } else {
            context.read()
        }
    }

    /// Whether no more bytes should be read for now: the machine is waiting for an outcome, or the client
    /// is not reading its replies, or unprocessed input is already buffered.
    private func holdsInput(context: ChannelHandlerContext) -> Bool {
        (machine.inputMode == .suspended && !isHandshaking) || !context.channel.isWritable
            || buffer.readableBytes > Self.bufferedInputLimit
    }

    private func resumeReadingIfPossible(context: ChannelHandlerContext) {
        guard isReadPending, !isClosing, !holdsInput(context: context) else { return }
        isReadPending = false
        context.read()
    }

    /// Input kept unprocessed at most: beyond this, reading waits until the machine has taken some.
    static let bufferedInputLimit = 256 * 1024

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing SMTP connection after error: \(error)")
        isClosing = true
        context.close(promise: nil)
    }

    // MARK: - Input

    /// Feeds buffered input to the machine for as long as it is ready to take it.
    private func processInput(context: ChannelHandlerContext) {
        guard !isProcessing else { return }
        isProcessing = true
        defer { isProcessing = false }
        while !isClosing, buffer.readableBytes > 0, context.channel.isWritable {
            let (consumed, step) = buffer.withUnsafeReadableBytes { input.feed($0, to: &machine) }
            buffer.moveReaderIndex(forwardBy: consumed)
            guard case .act(let action) = step else { break }
            perform(action, context: context)
        }
        compactBuffer()
    }

    private func compactBuffer() {
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
    }

    // MARK: - Actions

    private func perform(_ action: SMTPSessionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .reply(let reply):
            write(reply, context: context)
        case .replyAndClose(let replies):
            close(context: context, after: replies)
        case .replyAndStartTLS(let reply):
            write(reply, context: context)
            flushIfNeeded(context: context)
            startTLS(context: context)
        case .deliver(let transaction):
            flushIfNeeded(context: context)
            deliver(transaction, context: context)
        case .checkCredentials(let credentials):
            flushIfNeeded(context: context)
            check(credentials, context: context)
        case .consult(let stageCheck):
            consult(stageCheck, context: context)
        }
    }

    /// Asks the interceptor about a stage and applies its verdict, at once or, for a delay, from a timer on
    /// the event loop (the session reads nothing meanwhile: the machine is suspended).
    private func consult(_ stageCheck: SMTPStageCheck, context: ChannelHandlerContext) {
        let decision = dependencies.stageInterceptor?.decide(stageCheck) ?? .proceed
        guard decision.delay > .zero else {
            perform(machine.stageDecided(decision.verdict), context: context)
            return
        }
        flushIfNeeded(context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        delayedDecision = context.eventLoop.scheduleTask(in: decision.delay) {
            let (handler, context) = loopBound.value
            handler.delayedDecision = nil
            guard !handler.isClosing else { return }
            handler.perform(handler.machine.stageDecided(decision.verdict), context: context)
            handler.processInput(context: context)
            handler.flushIfNeeded(context: context)
            handler.resumeReadingIfPossible(context: context)
        }
    }

    private func write(_ reply: SMTPReply, context: ChannelHandlerContext) {
        dependencies.observer?.replied(code: reply.code)
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: reply.wireFormat)), promise: nil)
        needsFlush = true
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// Sends the final replies and closes the connection once they are written.
    private func close(context: ChannelHandlerContext, after replies: [SMTPReply] = []) {
        guard !isClosing else { return }
        isClosing = true
        buffer.clear()
        var output = context.channel.allocator.buffer(capacity: 256)
        for reply in replies {
            dependencies.observer?.replied(code: reply.code)
            output.writeString(reply.wireFormat)
        }
        needsFlush = false
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(output)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func deliver(_ transaction: SMTPTransaction, context: ChannelHandlerContext) {
        let future = dependencies.deliveryHandler.deliver(transaction, on: context.eventLoop)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { outcome in
            let result: SMTPDeliveryResult
            switch outcome {
            case .success(let delivered): result = delivered
            case .failure: result = .rejected(.storageFailure)
            }
            let (handler, context) = loopBound.value
            guard !handler.isClosing else { return }
            handler.perform(handler.machine.deliveryCompleted(result), context: context)
            handler.processInput(context: context)
            handler.flushIfNeeded(context: context)
            handler.resumeReadingIfPossible(context: context)
        }
    }

    private func check(_ credentials: SMTPCredentials, context: ChannelHandlerContext) {
        let future = dependencies.authenticator.authenticate(credentials, on: context.eventLoop)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { outcome in
            let (handler, context) = loopBound.value
            guard !handler.isClosing else { return }
            let action: SMTPSessionStateMachine.Action
            switch outcome {
            case .success(let accepted): action = handler.machine.credentialsChecked(accepted: accepted)
            case .failure: action = handler.machine.credentialsCouldNotBeChecked()
            }
            handler.perform(action, context: context)
            handler.processInput(context: context)
            handler.flushIfNeeded(context: context)
            handler.resumeReadingIfPossible(context: context)
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        // Anything the client pipelined after STARTTLS was sent in the clear: drop it (RFC 3207 §6).
        buffer.clear()
        guard let tlsContext = dependencies.startTLSContext else {
            close(context: context)
            return
        }
        do {
            isHandshaking = true
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.error("could not start TLS: \(error)")
            close(context: context)
        }
    }

    // MARK: - Helpers

    static func describe(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }

    private static func makeNonce() -> String {
        String(UInt64.random(in: UInt64.min...UInt64.max), radix: 36)
    }
}
