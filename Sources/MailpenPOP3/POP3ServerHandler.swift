import Logging
import MailpenListener
import MailpenPOP3Core
import NIOCore
import NIOSSL
import NIOTLS

/// Adapts one TCP connection to a ``POP3SessionStateMachine``: it frames input with ``POP3SessionInput``,
/// writes the responses (flushing once per batch of pipelined commands) and runs the work the machine asks
/// for — credential checks, the maildrop, message loads, the QUIT's update, TLS — on the ``POP3Backend``,
/// feeding each outcome back in.
///
/// It reads from the socket only while the machine can take input and the client takes its responses: while
/// a backend request or a handshake is pending, or while responses pile up unread (a pipelined run of RETRs),
/// the socket is not read, so a client cannot make the server buffer without bound.
final class POP3ServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Dependencies: Sendable {
        var backend: any POP3Backend
        var tlsContext: NIOSSLContext?
        var connectionLimiter: ConnectionLimiter
        var logger: Logger
    }

    private var machine: POP3SessionStateMachine
    private var input: POP3SessionInput
    private let isImplicitTLS: Bool
    private let dependencies: Dependencies
    private var buffer = ByteBuffer()
    private var needsFlush = false
    private var isProcessing = false
    private var isClosing = false
    private var holdsConnectionSlot = false
    /// The user whose maildrop this session locked, to unlock when it ends.
    private var lockedMaildrop: String?
    private var isReadPending = false
    private var isHandshaking = false
    private var logger: Logger

    init(configuration: POP3SessionStateMachine.Configuration, isImplicitTLS: Bool, dependencies: Dependencies) {
        machine = POP3SessionStateMachine(
            configuration: configuration, connection: .init(isLoopback: false, isTLS: isImplicitTLS))
        input = POP3SessionInput(configuration: configuration)
        self.isImplicitTLS = isImplicitTLS
        self.dependencies = dependencies
        logger = dependencies.logger
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        let remote = context.remoteAddress
        logger[metadataKey: "client"] = "\(remote?.ipAddress ?? "?"):\(remote?.port ?? 0)"
        machine = POP3SessionStateMachine(
            configuration: machine.configuration,
            connection: .init(isLoopback: remote?.isLoopback ?? false, isTLS: isImplicitTLS))
        holdsConnectionSlot = dependencies.connectionLimiter.acquire()
        guard holdsConnectionSlot else {
            logger.notice("POP3 connection refused: \(dependencies.connectionLimiter.maximum) connections open")
            closeWith(Array("-ERR [SYS/TEMP] too many connections, try again later\r\n".utf8), context: context)
            context.fireChannelActive()
            return
        }
        perform(machine.connectionOpened(), context: context)
        flushIfNeeded(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if holdsConnectionSlot {
            dependencies.connectionLimiter.release()
            holdsConnectionSlot = false
        }
        isClosing = true
        releaseMaildrop()
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
        case let event as TLSUserEvent:
            guard case .handshakeCompleted = event else { return }
            isHandshaking = false
            perform(machine.tlsEstablished(), context: context)
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing POP3 connection after error: \(error)")
        isClosing = true
        context.close(promise: nil)
    }

    // MARK: - Backpressure

    func read(context: ChannelHandlerContext) {
        if holdsInput(context: context) {
            isReadPending = true
        } else {
            context.read()
        }
    }

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
    static let bufferedInputLimit = 64 * 1024

    // MARK: - Input

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
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 16 * 1024 {
            buffer.discardReadBytes()
        }
    }

    // MARK: - Actions

    private func perform(_ action: POP3SessionStateMachine.Action, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        switch action {
        case .none:
            break
        case .send(let response):
            context.write(wrapOutboundOut(ByteBuffer(bytes: response.wireFormat)), promise: nil)
            needsFlush = true
        case .sendAndClose(let response):
            closeWith(response.wireFormat, context: context)
        case .close:
            closeWith([], context: context)
        case .startTLS(let response):
            context.write(wrapOutboundOut(ByteBuffer(bytes: response.wireFormat)), promise: nil)
            needsFlush = true
            flushIfNeeded(context: context)
            startTLS(context: context)
        case .checkCredentials(let credentials):
            flushIfNeeded(context: context)
            let backend = dependencies.backend
            run(context: context, { try? await backend.authenticate(credentials) }) { handler, accepted in
                guard let accepted else { return handler.machine.credentialsCouldNotBeChecked() }
                return handler.machine.credentialsChecked(accepted: accepted)
            }
        case .openMaildrop(let username):
            flushIfNeeded(context: context)
            let backend = dependencies.backend
            run(context: context, { await backend.openMaildrop(username: username) }) { handler, result in
                if case .opened = result { handler.lockedMaildrop = username }
                return handler.machine.maildropOpened(result)
            } whenClosed: { result in
                // The session ended while the maildrop was being opened: give the lock back.
                if case .opened = result { backend.closeMaildrop(username: username) }
            }
        case .loadMessage(let id):
            flushIfNeeded(context: context)
            let backend = dependencies.backend
            run(context: context, { await backend.loadMessage(id: id) }) { handler, raw in
                handler.machine.messageLoaded(raw)
            }
        case .update(let update):
            flushIfNeeded(context: context)
            let backend = dependencies.backend
            run(context: context, { await backend.update(update) }) { handler, succeeded in
                handler.machine.updateCompleted(succeeded: succeeded)
            }
        }
    }

    /// Runs `work` off the event loop and hands its result to the machine through `resume`; the socket is
    /// not read meanwhile (the machine is suspended). `whenClosed` gets a result that arrives after the
    /// connection closed.
    private func run<Result: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Result,
        resume: @escaping (POP3ServerHandler, Result) -> POP3SessionStateMachine.Action,
        whenClosed: @escaping @Sendable (Result) -> Void = { _ in }
    ) {
        let promise = context.eventLoop.makePromise(of: Result.self)
        promise.completeWithTask { await work() }
        let loopBound = NIOLoopBound((self, context, resume), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { result in
            let (handler, context, resume) = loopBound.value
            guard !handler.isClosing else {
                whenClosed(result)
                return
            }
            handler.perform(resume(handler, result), context: context)
            handler.processInput(context: context)
            handler.flushIfNeeded(context: context)
            handler.resumeReadingIfPossible(context: context)
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// Writes `bytes` (if any) and closes once they are out; the maildrop lock is given back at once.
    private func closeWith(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        buffer.clear()
        releaseMaildrop()
        needsFlush = false
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func releaseMaildrop() {
        guard let username = lockedMaildrop else { return }
        lockedMaildrop = nil
        dependencies.backend.closeMaildrop(username: username)
    }

    private func startTLS(context: ChannelHandlerContext) {
        // Anything the client pipelined after STLS was sent in the clear: drop it (RFC 2595 §4).
        buffer.clear()
        guard let tlsContext = dependencies.tlsContext else {
            closeWith([], context: context)
            return
        }
        do {
            isHandshaking = true
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.error("could not start TLS: \(error)")
            closeWith([], context: context)
        }
    }
}
