import Logging
import MailpenIMAPCore
import MailpenListener
import MailpenSASL
import NIOCore
import NIOSSL

/// Adapts one TCP connection to an ``IMAPSessionStateMachine``: it frames input with ``IMAPSessionInput``,
/// writes the responses, runs the requests the machine makes on the ``IMAPBackend`` and feeds the outcomes
/// back in, and passes the inbox's changes from its ``IMAPMailboxWatch`` to the machine (which tells an
/// idling client at once). The plumbing (buffering, backpressure, flushing, TLS, closing) is
/// ``MailSessionHandler``'s.
///
/// It asks for the next batch of a large FETCH only once the client has taken the last one, so a slow
/// reader cannot make the server buffer without bound.
final class IMAPServerHandler: MailSessionHandler<IMAPSessionStateMachine> {
    typealias Dependencies = ConnectionDependencies<any IMAPBackend>

    private var input: IMAPSessionInput
    private let isImplicitTLS: Bool
    private let dependencies: Dependencies
    private var watch: (any IMAPMailboxWatch)?
    /// A message load held back until the client has read what was sent before it.
    private var heldRequest: IMAPSessionStateMachine.Request?

    init(configuration: IMAPSessionStateMachine.Configuration, isImplicitTLS: Bool, dependencies: Dependencies) {
        input = IMAPSessionInput(configuration: configuration)
        self.isImplicitTLS = isImplicitTLS
        self.dependencies = dependencies
        super.init(
            machine: IMAPSessionStateMachine(
                configuration: configuration, connection: .init(isLoopback: false, isTLS: isImplicitTLS)),
            settings: Settings(
                protocolName: "IMAP", connectionLimiter: dependencies.connectionLimiter,
                refusal: Array("* BYE Too many connections, try again later\r\n".utf8),
                tlsContext: dependencies.tlsContext, idleTimeout: .seconds(Int64(configuration.idleTimeout))),
            logger: dependencies.logger)
    }

    override func connectionOpened(remote: SocketAddress?, accepted _: Bool) -> Action {
        machine = IMAPSessionStateMachine(
            configuration: machine.configuration,
            connection: .init(isLoopback: remote?.isLoopback ?? false, isTLS: isImplicitTLS))
        return machine.connectionOpened()
    }

    override func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, action: Action?) {
        let (consumed, step) = input.feed(bytes, to: &machine)
        if case .act(let action) = step { return (consumed, action) }
        return (consumed, nil)
    }

    override func releaseResources() {
        endWatch()
    }

    override func writabilityRestored(context: ChannelHandlerContext) {
        if let request = heldRequest {
            heldRequest = nil
            carryOut(request, context: context)
        }
    }

    // MARK: - Actions

    override func perform(_ action: Action, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        if let output = action.output, !output.bytes.isEmpty {
            write(output.bytes, context: context)
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

    /// Runs `work` off the event loop and hands its result to the machine through `resume`; the machine
    /// takes no input meanwhile (it is suspended).
    private func run<Result: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Result,
        resume: @escaping (IMAPServerHandler, ChannelHandlerContext, Result) -> IMAPSessionStateMachine.Action
    ) {
        runInBackground(context: context, work) { context, result in resume(self, context, result) }
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
}

// The events every session has, as the shared handler delivers them.
extension IMAPSessionStateMachine: SessionMachine {
    public mutating func tlsEstablished(version _: String) -> Action { tlsEstablished() }
}
