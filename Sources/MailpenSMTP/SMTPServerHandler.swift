import Logging
import MailpenLineFraming
import MailpenListener
import MailpenSMTPCore
import NIOCore
import NIOExtras
import NIOSSL

/// Adapts one TCP connection to an ``SMTPSessionStateMachine``: it frames bytes as the machine asks,
/// writes its replies, and runs the asynchronous work the machine requests — delivery, credential checks,
/// stage decisions, TLS — feeding the outcome back in. The plumbing (buffering, backpressure, flushing,
/// TLS, closing) is ``MailSessionHandler``'s, so a client that pipelines without reading fills its own
/// buffers, not Mailpen's memory.
final class SMTPServerHandler: MailSessionHandler<SMTPSessionStateMachine>, RemovableChannelHandler {
    struct Dependencies: Sendable {
        var deliveryHandler: any SMTPDeliveryHandler
        var authenticator: any SMTPAuthenticator
        var startTLSContext: NIOSSLContext?
        var connectionLimiter: ConnectionLimiter
        var shutdownGracePeriod: TimeAmount
        var maximumLineLength: Int
        var idleTimeout: TimeAmount
        var observer: (any SMTPSessionObserver)?
        var stageInterceptor: (any SMTPStageInterceptor)?
        var logger: Logger
    }

    private var input: SMTPSessionInput
    private let dependencies: Dependencies
    private var graceTimer: Scheduled<Void>?
    /// A stage decision held back by an interceptor's delay.
    private var delayedDecision: Scheduled<Void>?
    /// The interceptor's decider for this connection, made at the first stage where the interceptor is active.
    private var stageSession: (any SMTPStageSession)?

    init(machine: SMTPSessionStateMachine, dependencies: Dependencies) {
        self.dependencies = dependencies
        self.input = SMTPSessionInput(maximumLineLength: dependencies.maximumLineLength)
        // A connection past the limit is refused by the machine (a 421 greeting).
        let settings = Settings(
            protocolName: "SMTP", connectionLimiter: dependencies.connectionLimiter, refusal: nil,
            tlsContext: dependencies.startTLSContext, idleTimeout: dependencies.idleTimeout)
        super.init(machine: machine, settings: settings, logger: dependencies.logger)
    }

    // MARK: - Session events

    override func connectionOpened(remote: SocketAddress?, accepted: Bool) -> Action {
        var session = machine.session
        session.clientAddress = clientIPAddress
        session.clientPort = remote?.port
        machine = SMTPSessionStateMachine(
            configuration: machine.configuration, session: session, challengeNonce: Self.makeNonce())
        dependencies.observer?.sessionOpened()
        return machine.connectionOpened(accepting: accepted)
    }

    override func connectionClosed() {
        super.connectionClosed()
        dependencies.observer?.sessionClosed()
        graceTimer?.cancel()
        delayedDecision?.cancel()
        if machine.isInTransaction {
            logger.debug("client disconnected in the middle of a transaction; nothing stored")
        }
    }

    override func shutdownRequested(context: ChannelHandlerContext) {
        perform(machine.shutdownRequested(), context: context)
        guard !isClosing else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        graceTimer = context.eventLoop.scheduleTask(in: dependencies.shutdownGracePeriod) {
            let (handler, context) = loopBound.value
            handler.perform(handler.machine.shutdownGraceExpired(), context: context)
        }
    }

    /// The shared handler's step in this machine's own types: no run-time type look-ups for every command.
    override func step(context: ChannelHandlerContext) -> Bool {
        var action: Action?
        consumeInput { bytes in
            let (consumed, step) = input.feed(bytes, to: &machine)
            if case .act(let taken) = step { action = taken }
            return consumed
        }
        guard let action else { return false }
        perform(action, context: context)
        return true
    }

    // MARK: - Actions

    override func perform(_ action: Action, context: ChannelHandlerContext) {
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
    /// the event loop (the machine takes no input meanwhile: it is suspended).
    private func consult(_ stageCheck: SMTPStageCheck, context: ChannelHandlerContext) {
        if stageSession == nil, let interceptor = dependencies.stageInterceptor, interceptor.isActive {
            stageSession = interceptor.makeSession()
        }
        let decision = stageSession?.decide(stageCheck) ?? .proceed
        guard decision.delay > .zero else {
            perform(machine.stageDecided(decision.verdict), context: context)
            return
        }
        flushIfNeeded(context: context)
        // The client waits for the held-back reply; the idle timeout must not cut it off meanwhile.
        holdIdleClock(true, context: context)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        delayedDecision = context.eventLoop.scheduleTask(in: decision.delay) {
            let (handler, context) = loopBound.value
            handler.delayedDecision = nil
            handler.holdIdleClock(false, context: context)
            guard !handler.isClosing else { return }
            handler.perform(handler.machine.stageDecided(decision.verdict), context: context)
            handler.afterOutcome(context: context)
        }
    }

    private func write(_ reply: SMTPReply, context: ChannelHandlerContext) {
        dependencies.observer?.replied(code: reply.code)
        write(context.channel.allocator.buffer(string: reply.wireFormat), context: context)
    }

    /// Sends the final replies and closes the connection once they are written.
    private func close(context: ChannelHandlerContext, after replies: [SMTPReply]) {
        guard !isClosing else { return }
        var output = context.channel.allocator.buffer(capacity: 256)
        for reply in replies {
            dependencies.observer?.replied(code: reply.code)
            output.writeString(reply.wireFormat)
        }
        closeWith(output, context: context)
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
            handler.afterOutcome(context: context)
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
            handler.afterOutcome(context: context)
        }
    }

    private static func makeNonce() -> String {
        String(UInt64.random(in: UInt64.min...UInt64.max), radix: 36)
    }
}

// The events every session has, as the shared handler delivers them.
extension SMTPSessionStateMachine: SessionMachine {}
