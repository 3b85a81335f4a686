import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The NIO half every mail protocol's connection handler shares, so the SMTP, POP3 and IMAP handlers keep
/// only what their protocol does: it buffers input and feeds it to the ``SessionMachine`` (through
/// ``feed(_:)``), flushes once per batch of pipelined commands, holds a slot in the connection limit,
/// upgrades to TLS, closes after a last write and runs backend work off the event loop.
///
/// It reads ahead of the machine by a bounded amount (``Settings/bufferedInputLimit``), and not at all
/// while responses pile up unread, so a client cannot make the server buffer without bound.
///
/// Subclasses override ``feed(_:)`` (or ``step(context:)``), ``perform(_:context:)`` and
/// ``connectionOpened(remote:accepted:)``.
open class MailSessionHandler<Machine: SessionMachine>: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer
    public typealias Action = Machine.Action

    /// How a connection is limited and told off, fixed per server.
    public struct Settings: Sendable {
        /// Names the protocol in log messages ("SMTP", "POP3", "IMAP").
        public var protocolName: String
        public var connectionLimiter: ConnectionLimiter
        /// What a connection past the limit is sent before it is closed; `nil` leaves the refusal to the
        /// machine (``connectionOpened(remote:accepted:)`` gets `accepted: false`).
        public var refusal: [UInt8]?
        /// The context for the machine's TLS upgrade; without one the upgrade closes the connection.
        public var tlsContext: NIOSSLContext?
        /// Input kept unprocessed at most: beyond this, reading waits until the machine has taken some.
        public var bufferedInputLimit: Int
        /// How many consumed bytes the input buffer keeps before it moves the unconsumed ones down.
        public var compactionThreshold: Int
        /// How long the client may send nothing before the machine is told (`idleTimeoutExpired()`); `nil`:
        /// no limit.
        public var idleTimeout: TimeAmount?

        public init(
            protocolName: String, connectionLimiter: ConnectionLimiter, refusal: [UInt8]?,
            tlsContext: NIOSSLContext?, bufferedInputLimit: Int = 256 * 1024, compactionThreshold: Int = 64 * 1024,
            idleTimeout: TimeAmount? = nil
        ) {
            self.protocolName = protocolName
            self.connectionLimiter = connectionLimiter
            self.refusal = refusal
            self.tlsContext = tlsContext
            self.bufferedInputLimit = bufferedInputLimit
            self.compactionThreshold = compactionThreshold
            self.idleTimeout = idleTimeout
        }
    }

    /// The protocol's session.
    public final var machine: Machine
    /// The connection's logger; it names the client once connected.
    public final var logger: Logger
    /// The connection is closing or closed: nothing more is read or performed.
    public final var isClosing = false
    /// The client's IP address as text, known once connected (formatting it takes `inet_ntop`: once).
    public private(set) final var clientIPAddress: String?
    public let settings: Settings
    private var buffer = ByteBuffer()
    private var needsFlush = false
    private var isProcessing = false
    private var holdsConnectionSlot = false
    /// A read the channel asked for while input was held back; issued once input may flow again.
    private var isReadPending = false
    /// The idle timer, kept here rather than by NIO's `IdleStateHandler`: a handler of its own would pass on
    /// every read and write of the session, and cost each connection a context of its own.
    private var idleCheck: Scheduled<Void>?
    /// When the last batch of input ended; and whether one is under way.
    private var lastInput = NIODeadline.uptimeNanoseconds(0)
    private var isReceivingInput = false
    /// Whether the client waits on the server (a reply held back on purpose): its silence is not idleness.
    private var isIdleClockHeld = false

    public init(machine: Machine, settings: Settings, logger: Logger) {
        self.machine = machine
        self.settings = settings
        self.logger = logger
    }

    // MARK: - What subclasses provide

    /// Feeds the machine from the front of `bytes`: how many bytes it used up, and its action if it took
    /// a piece of input (`nil` when it cannot take more now).
    open func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, action: Action?) {
        preconditionFailure("\(Self.self) must override feed(_:)")
    }

    /// Feeds the machine the next piece of buffered input (through ``consumeInput(_:)``) and carries out its
    /// action; returns whether it took one. The default calls ``feed(_:)`` and ``perform(_:context:)``. It
    /// runs for every command, and code of this generic class looks the machine's types up at run time, so a
    /// subclass may do the same in its own terms.
    open func step(context: ChannelHandlerContext) -> Bool {
        var action: Action?
        consumeInput { bytes in
            let (consumed, taken) = feed(bytes)
            action = taken
            return consumed
        }
        guard let action else { return false }
        perform(action, context: context)
        return true
    }

    /// Carries out one of the machine's actions.
    open func perform(_ action: Action, context: ChannelHandlerContext) {
        preconditionFailure("\(Self.self) must override perform(_:context:)")
    }

    /// Starts the session for a new connection; `accepted` is false when the connection limit is reached
    /// and ``Settings/refusal`` is `nil`.
    open func connectionOpened(remote: SocketAddress?, accepted: Bool) -> Action {
        preconditionFailure("\(Self.self) must override connectionOpened(remote:accepted:)")
    }

    /// Lets go of what the session holds (a lock, a subscription) when the connection starts closing.
    open func releaseResources() {}

    /// The channel went inactive (after the connection slot is given back).
    open func connectionClosed() {
        isClosing = true
        releaseResources()
    }

    /// The server asked the session to finish.
    open func shutdownRequested(context: ChannelHandlerContext) {
        perform(machine.shutdownRequested(), context: context)
    }

    /// The client reads its responses again: work held back for it may go on.
    open func writabilityRestored(context: ChannelHandlerContext) {}

    // MARK: - Channel events

    public final func channelActive(context: ChannelHandlerContext) {
        // The channel's copy, read when it was accepted: the context's asks the kernel again (`getpeername`)
        // and formats the address anew.
        let remote = context.channel.remoteAddress
        clientIPAddress = remote?.ipAddress
        logger[metadataKey: "client"] = .string((clientIPAddress ?? "?") + ":" + String(remote?.port ?? 0))
        holdsConnectionSlot = settings.connectionLimiter.acquire()
        if !holdsConnectionSlot, let refusal = settings.refusal {
            let maximum = settings.connectionLimiter.maximum
            logger.notice("\(settings.protocolName) connection refused: \(maximum) connections open")
            closeWith(refusal, context: context)
        } else {
            perform(connectionOpened(remote: remote, accepted: holdsConnectionSlot), context: context)
            flushIfNeeded(context: context)
            if let timeout = settings.idleTimeout, !isClosing {
                lastInput = context.eventLoop.now
                scheduleIdleCheck(at: lastInput + timeout, context: context)
            }
        }
        context.fireChannelActive()
    }

    public final func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        if holdsConnectionSlot {
            settings.connectionLimiter.release()
            holdsConnectionSlot = false
        }
        connectionClosed()
        context.fireChannelInactive()
    }

    public final func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReceivingInput = true
        var incoming = ByteStream.unwrapInboundIn(data)
        if isClosing { return }
        if buffer.readableBytes == 0 {
            buffer = incoming
        } else {
            buffer.writeBuffer(&incoming)
        }
        processInput(context: context)
    }

    public final func channelReadComplete(context: ChannelHandlerContext) {
        if isReceivingInput {
            isReceivingInput = false
            lastInput = context.eventLoop.now
        }
        flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// Stops counting the client's silence as idleness while the server holds back its reply on purpose, and
    /// starts the count afresh when it answers: a client that waits for a delayed reply is not idle.
    public final func holdIdleClock(_ held: Bool, context: ChannelHandlerContext) {
        isIdleClockHeld = held
        if !held { lastInput = context.eventLoop.now }
    }

    /// Checks at `deadline` whether the client has been silent for the idle timeout: a read pushes the
    /// deadline back without touching the timer, which then moves itself to the new one.
    private func scheduleIdleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.idleCheckDue(context: context)
        }
    }

    private func idleCheckDue(context: ChannelHandlerContext) {
        idleCheck = nil
        guard !isClosing, let timeout = settings.idleTimeout else { return }
        let now = context.eventLoop.now
        let deadline = isReceivingInput || isIdleClockHeld ? now + timeout : lastInput + timeout
        guard deadline <= now else {
            scheduleIdleCheck(at: deadline, context: context)
            return
        }
        // As NIO's handler did: told again after each further timeout, should the machine not close.
        scheduleIdleCheck(at: now + timeout, context: context)
        perform(machine.idleTimeoutExpired(), context: context)
        flushIfNeeded(context: context)
    }

    public final func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            shutdownRequested(context: context)
        case let event as TLSUserEvent:
            guard case .handshakeCompleted = event else { return }
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
            perform(machine.tlsEstablished(version: version?.name ?? "TLS"), context: context)
            processInput(context: context)
            resumeReadingIfPossible(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
            return
        }
        flushIfNeeded(context: context)
    }

    public final func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writabilityRestored(context: context)
            processInput(context: context)
            flushIfNeeded(context: context)
            resumeReadingIfPossible(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    public final func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("closing \(settings.protocolName) connection after error: \(error)")
        isClosing = true
        releaseResources()
        context.close(promise: nil)
    }

    // MARK: - Backpressure

    public final func read(context: ChannelHandlerContext) {
        if holdsInput(context: context) {
            isReadPending = true
        } else {
            context.read()
        }
    }

    /// Whether no more bytes should be read for now: the client is not reading its responses, or enough
    /// unprocessed input is buffered. A machine waiting for an outcome does not stop reading by itself:
    /// the client is then almost always waiting too, and turning the socket's read interest off and on
    /// around every delivery would cost two system calls a message; what a client pipelines meanwhile
    /// waits in the buffer, up to the limit.
    private func holdsInput(context: ChannelHandlerContext) -> Bool {
        !context.channel.isWritable || buffer.readableBytes > settings.bufferedInputLimit
    }

    private func resumeReadingIfPossible(context: ChannelHandlerContext) {
        guard isReadPending, !isClosing, !holdsInput(context: context) else { return }
        isReadPending = false
        context.read()
    }

    // MARK: - Input

    /// Feeds buffered input to the machine for as long as it is ready to take it.
    public final func processInput(context: ChannelHandlerContext) {
        guard !isProcessing else { return }
        isProcessing = true
        defer { isProcessing = false }
        while !isClosing, buffer.readableBytes > 0, context.channel.isWritable {
            guard step(context: context) else { break }
        }
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > settings.compactionThreshold {
            buffer.discardReadBytes()
        }
    }

    /// Hands the unprocessed input to `body`, which returns how many bytes of it it used up, and drops those.
    /// `body` reads in place, so it must not perform actions (they may clear the input).
    public final func consumeInput(_ body: (UnsafeRawBufferPointer) -> Int) {
        let consumed = buffer.withUnsafeReadableBytes(body)
        buffer.moveReaderIndex(forwardBy: consumed)
    }

    // MARK: - Outcomes

    /// Runs `work` off the event loop and hands its result to the machine through `resume`; the machine
    /// takes no input meanwhile (it is suspended), and what arrives waits in the buffer. `whenClosed` gets a
    /// result that arrives after the connection closed.
    public final func runInBackground<Result: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Result,
        resume: @escaping (ChannelHandlerContext, Result) -> Action,
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
            handler.perform(resume(context, result), context: context)
            handler.afterOutcome(context: context)
        }
    }

    /// Goes on after the machine took an outcome: feeds it what input waited, flushes, reads again.
    public final func afterOutcome(context: ChannelHandlerContext) {
        processInput(context: context)
        flushIfNeeded(context: context)
        resumeReadingIfPossible(context: context)
    }

    // MARK: - Output

    /// Queues `output`; it goes out with the next flush.
    public final func write(_ output: ByteBuffer, context: ChannelHandlerContext) {
        context.write(NIOAny(output), promise: nil)
        needsFlush = true
    }

    public final func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        write(ByteBuffer(bytes: bytes), context: context)
    }

    public final func flushIfNeeded(context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    /// Writes `output` after what is queued and closes once it is out.
    public final func closeWith(_ output: ByteBuffer, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        buffer.clear()
        releaseResources()
        needsFlush = false
        let channel = context.channel
        context.writeAndFlush(NIOAny(output)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    public final func closeWith(_ bytes: [UInt8], context: ChannelHandlerContext) {
        closeWith(ByteBuffer(bytes: bytes), context: context)
    }

    /// Puts TLS in front of the session, as the machine asked (STARTTLS, STLS).
    public final func startTLS(context: ChannelHandlerContext) {
        // Anything the client pipelined after the upgrade command was sent in the clear: drop it (RFC 3207
        // §6, RFC 2595 §4, RFC 3501 §6.2.1).
        buffer.clear()
        guard let tlsContext = settings.tlsContext else {
            closeWith([], context: context)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
        } catch {
            logger.error("could not start TLS: \(error)")
            closeWith([], context: context)
        }
    }
}

extension TLSVersion {
    /// The name a session machine is told for the version.
    fileprivate var name: String {
        switch self {
        case .tlsv1: return "TLSv1"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}

/// The session handler's message types without its generic parameter. Unwrapping through the generic
/// handler looks its type's metadata up at run time on every read; through this type the compiler knows
/// the types and does not.
private final class ByteStream: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
}
