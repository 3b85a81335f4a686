import Logging
import MailpenIMAPCore
import MailpenListener
import NIOCore
import NIOSSL
import NIOTLS

/// Adapts one TCP connection to an ``IMAPSessionStateMachine``: it frames input with ``IMAPSessionInput``,
/// writes the responses (flushing once per batch of pipelined commands), runs the requests the machine makes
/// on the ``IMAPBackend`` and feeds the outcomes back in, and passes the inbox's changes from its
/// ``IMAPMailboxWatch`` to the machine (which tells an idling client at once).
///
/// It reads from the socket only while the machine can take input and the client takes its responses, and it
/// asks for the next batch of a large FETCH only once the client has taken the last one, so neither a
/// pipelining client nor a slow reader can make the server buffer without bound.
final class IMAPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Dependencies: Sendable {
        var backend: any IMAPBackend
        var tlsContext: NIOSSLContext?
        var connectionLimiter: ConnectionLimiter
        var logger: Logger
    }

    private var machine: IMAPSessionStateMachine
    private var input: IMAPSessionInput
    private let isImplicitTLS: Bool
    private let dependencies: Dependencies
    private var buffer = ByteBuffer()
    private var needsFlush = false
    private var isProcessing = false
    private var isClosing = false
    private var holdsConnectionSlot = false
    private var watch: (any IMAPMailboxWatch)?
    /// A message load held back until the client has read what was sent before it.
    private var heldRequest: IMAPSessionStateMachine.Request?
    private var isReadPending = false
    private var isHandshaking = false
    private var logger: Logger

    init(configuration: IMAPSessionStateMachine.Configuration, isImplicitTLS: Bool, dependencies: Dependencies) {
        machine = IMAPSessionStateMachine(
            configuration: configuration, connection: .init(isLoopback: false, isTLS: isImplicitTLS))
        input = IMAPSessionInput(configuration: configuration)
        self.isImplicitTLS = isImplicitTLS
        self.dependencies = dependencies
        logger = dependencies.logger
    }

    // MARK: - Channel events

    func channelActive(context: ChannelHandlerContext) {
        let remote = context.remoteAddress
        logger[metadataKey: "client"] = "\(remote?.ipAddress ?? "?"):\(remote?.port ?? 0)"
        machine = IMAPSessionStateMachine(
            configuration: machine.configuration,
            connection: .init(isLoopback: remote?.isLoopback ?? false, isTLS: isImplicitTLS))
        holdsConnectionSlot = dependencies.connectionLimiter.acquire()
        guard holdsConnectionSlot else {
            logger.notice("IMAP connection refused: \(dependencies.connectionLimiter.maximum) connections open")
            closeWith(Array("* BYE Too many connections, try again later\r\n".utf8), context: context)
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
        endWatch()
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
            if let request = heldRequest {
                heldRequest = nil
                carryOut(request, context: context)
            }
            processInput(context: context)
            flushIfNeeded(context: context)
            resumeReadingIfPossible(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing IMAP connection after error: \(error)")
        isClosing = true
        endWatch()
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
    static let bufferedInputLimit = 256 * 1024

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
        } else if buffer.readerIndex > 64 * 1024 {
            buffer.discardReadBytes()
        }
    }

    // MARK: - Actions

    private func perform(_ action: IMAPSessionStateMachine.Action, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        if let output = action.output, !output.bytes.isEmpty {
            context.write(wrapOutboundOut(ByteBuffer(bytes: output.bytes)), promise: nil)
            needsFlush = true
        }
        guard let request = action.request else { return }
        if case .loadMessages = request, !context.channel.isWritable {
            flushIfNeeded(context: context)
            heldRequest = request
            return
        }
        carryOut(request, context: context)
    }

    private func carryOut(_ request: IMAPSessionStateMachine.Request, context: ChannelHandlerContext) {
        let backend = dependencies.backend
        switch request {
        case .close:
            closeWith([], context: context)
        case .startTLS:
            flushIfNeeded(context: context)
            startTLS(context: context)
        case .checkCredentials(let credentials):
            flushIfNeeded(context: context)
            run(context: context, { try? await backend.authenticate(credentials) }) { handler, context, accepted in
                guard let accepted else { return handler.machine.credentialsCouldNotBeChecked() }
                let action = handler.machine.credentialsChecked(accepted: accepted)
                if accepted, let username = handler.machine.username { handler.startWatch(username, context: context) }
                return action
            }
        case .loadMailbox:
            flushIfNeeded(context: context)
            guard let watch else {
                perform(machine.mailboxLoaded(nil), context: context)
                return
            }
            watch.requestSnapshot()
        case .loadMessages(let ids):
            flushIfNeeded(context: context)
            run(context: context, { await backend.loadMessages(ids: ids) }) { handler, _, messages in
                handler.machine.messagesLoaded(messages)
            }
        case .searchMailbox(let username, let queries):
            flushIfNeeded(context: context)
            run(context: context, { await backend.search(inbox: username, queries: queries) }) { handler, _, matches in
                handler.machine.mailboxSearched(matches)
            }
        case .setRead(let ids, let isRead):
            flushIfNeeded(context: context)
            run(context: context, { await backend.setRead(ids: ids, isRead: isRead) }) { handler, _, succeeded in
                handler.machine.readFlagsStored(succeeded: succeeded)
            }
        case .deleteMessages(let ids):
            flushIfNeeded(context: context)
            run(context: context, { await backend.deleteMessages(ids: ids) }) { handler, _, succeeded in
                handler.machine.messagesDeleted(succeeded: succeeded)
            }
        }
    }

    /// Runs `work` off the event loop and hands its result to the machine through `resume`; the socket is
    /// not read meanwhile (the machine is suspended).
    private func run<Result: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Result,
        resume: @escaping (IMAPServerHandler, ChannelHandlerContext, Result) -> IMAPSessionStateMachine.Action
    ) {
        let promise = context.eventLoop.makePromise(of: Result.self)
        promise.completeWithTask { await work() }
        let loopBound = NIOLoopBound((self, context, resume), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { result in
            let (handler, context, resume) = loopBound.value
            guard !handler.isClosing else { return }
            handler.perform(resume(handler, context, result), context: context)
            handler.afterOutcome(context: context)
        }
    }

    private func afterOutcome(context: ChannelHandlerContext) {
        processInput(context: context)
        flushIfNeeded(context: context)
        resumeReadingIfPossible(context: context)
    }

    // MARK: - The inbox's changes

    private func startWatch(_ username: String, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        watch = dependencies.backend.watchMailbox(username: username) { event in
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.receive(event, context: context)
            }
        }
    }

    private func receive(_ event: IMAPMailboxEvent, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        switch event {
        case .snapshot(let snapshot):
            perform(machine.mailboxLoaded(snapshot), context: context)
        case .changed(let change):
            perform(machine.mailboxChanged(change), context: context)
        }
        afterOutcome(context: context)
    }

    private func endWatch() {
        watch?.cancel()
        watch = nil
    }

    // MARK: - Output

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// Writes `bytes` (if any) after what is queued and closes once they are out.
    private func closeWith(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        buffer.clear()
        endWatch()
        needsFlush = false
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func startTLS(context: ChannelHandlerContext) {
        // Anything the client pipelined after STARTTLS was sent in the clear: drop it (RFC 3501 §6.2.1).
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
