import Logging
import MailpenLineFraming
import MailpenListener
import MailpenPOP3Core
import MailpenSASL
import NIOCore
import NIOSSL

/// Adapts one TCP connection to a ``POP3SessionStateMachine``: it frames input with ``POP3SessionInput``,
/// writes the responses and runs the work the machine asks for — credential checks, the maildrop, message
/// loads, the QUIT's update, TLS — on the ``POP3Backend``, feeding each outcome back in. The plumbing
/// (buffering, backpressure, flushing, TLS, closing) is ``MailSessionHandler``'s.
final class POP3ServerHandler: MailSessionHandler<POP3SessionStateMachine> {
    typealias Dependencies = ConnectionDependencies<any POP3Backend>

    private var input: POP3SessionInput
    private let isImplicitTLS: Bool
    private let backend: any POP3Backend
    /// The user whose maildrop this session locked, to unlock when it ends.
    private var lockedMaildrop: String?

    init(configuration: POP3SessionStateMachine.Configuration, isImplicitTLS: Bool, dependencies: Dependencies) {
        input = POP3SessionInput(configuration: configuration)
        self.isImplicitTLS = isImplicitTLS
        backend = dependencies.backend
        let machine = POP3SessionStateMachine(
            configuration: configuration, connection: .init(isLoopback: false, isTLS: isImplicitTLS))
        // POP3 commands are short lines: a smaller input buffer than SMTP's and IMAP's will do.
        var settings = Settings(
            protocolName: "POP3", connectionLimiter: dependencies.connectionLimiter, refusal: Self.refusal,
            tlsContext: dependencies.tlsContext, idleTimeout: .seconds(Int64(configuration.idleTimeout)))
        settings.bufferedInputLimit = 64 * 1024
        settings.compactionThreshold = 16 * 1024
        super.init(machine: machine, settings: settings, logger: dependencies.logger)
    }

    /// What a connection past the limit is told.
    private static let refusal = Array("-ERR [SYS/TEMP] too many connections, try again later\r\n".utf8)

    override func connectionOpened(remote: SocketAddress?, accepted _: Bool) -> Action {
        let isLoopback = remote?.isLoopback ?? false
        machine = POP3SessionStateMachine(
            configuration: machine.configuration, connection: .init(isLoopback: isLoopback, isTLS: isImplicitTLS))
        return machine.connectionOpened()
    }

    override func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, action: Action?) {
        let (consumed, step) = input.feed(bytes, to: &machine)
        guard case .act(let action) = step else { return (consumed, nil) }
        return (consumed, action)
    }

    override func releaseResources() {
        guard let username = lockedMaildrop else { return }
        lockedMaildrop = nil
        backend.closeMaildrop(username: username)
    }

    // MARK: - Actions

    override func perform(_ action: Action, context: ChannelHandlerContext) {
        guard !isClosing else { return }
        switch action {
        case .none:
            break
        case .send(let response):
            write(response.wireFormat, context: context)
        case .sendAndClose(let response):
            closeWith(response.wireFormat, context: context)
        case .close:
            closeWith([], context: context)
        case .startTLS(let response):
            write(response.wireFormat, context: context)
            flushIfNeeded(context: context)
            startTLS(context: context)
        case .checkCredentials(let credentials):
            flushIfNeeded(context: context)
            let backend = backend
            runInBackground(context: context, { try? await backend.authenticate(credentials) }) { _, accepted in
                guard let accepted else { return self.machine.credentialsCouldNotBeChecked() }
                return self.machine.credentialsChecked(accepted: accepted)
            }
        case .openMaildrop(let username):
            flushIfNeeded(context: context)
            let backend = backend
            runInBackground(context: context, { await backend.openMaildrop(username: username) }) { _, result in
                if case .opened = result { self.lockedMaildrop = username }
                return self.machine.maildropOpened(result)
            } whenClosed: { result in
                // The session ended while the maildrop was being opened: give the lock back.
                if case .opened = result { backend.closeMaildrop(username: username) }
            }
        case .loadMessage(let id):
            flushIfNeeded(context: context)
            let backend = backend
            runInBackground(context: context, { await backend.loadMessage(id: id) }) { _, raw in
                self.machine.messageLoaded(raw)
            }
        case .update(let update):
            flushIfNeeded(context: context)
            let backend = backend
            runInBackground(context: context, { await backend.update(update) }) { _, succeeded in
                self.machine.updateCompleted(succeeded: succeeded)
            }
        }
    }
}

// The events every session has, as the shared handler delivers them.
extension POP3SessionStateMachine: SessionMachine {
    public mutating func tlsEstablished(version _: String) -> Action { tlsEstablished() }
}
