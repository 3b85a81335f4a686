import Logging
import MailpenHTTP
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOCore

/// Connects the SMTP server to the store: picks the inbox from the AUTH username, applies the
/// authentication policy, stores each transaction and turns the outcome into the SMTP reply.
struct StoreDelivery: SMTPDeliveryHandler, SMTPAuthenticator {
    let store: any MailpenStore
    let policy: MailpenConfiguration.AuthenticationPolicy
    let metrics: MailpenMetrics
    let logger: Logger

    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        let session = transaction.envelope.session
        let inbox = session.authenticatedUser ?? Inbox.defaultName
        let incoming = IncomingMessage(
            inbox: inbox,
            raw: transaction.message,
            envelope: MessageEnvelope(transaction.envelope),
            inboxCreation: policy == .any && session.authenticatedUser != nil ? .withGeneratedPassword : .never,
            routesByRecipient: session.authenticatedUser == nil)
        let started = ContinuousClock.now
        // Small messages are parsed right here; a large one would stall every session on this event
        // loop, so it is parsed elsewhere.
        let stored: EventLoopFuture<MessageSummary>
        if incoming.raw.count > Self.inlineParseLimit {
            let store = self.store
            let promise = eventLoop.makePromise(of: MessageSummary.self)
            promise.completeWithTask { try await store.store(incoming) }
            stored = promise.futureResult
        } else {
            stored = store.store(incoming, on: eventLoop)
        }
        let logger = self.logger
        let metrics = self.metrics
        let envelope = transaction.envelope
        return stored.map { summary in
            metrics.messageStored(size: summary.size, duration: ContinuousClock.now - started)
            return Self.reply(for: .success(summary), envelope: envelope, logger: logger)
        }.recover { error in
            metrics.messageRejected()
            return Self.reply(for: .failure(error), envelope: envelope, logger: logger)
        }
    }

    /// Messages up to this size are parsed on the session's event loop.
    static let inlineParseLimit = 256 * 1024

    private static func reply(
        for result: Result<MessageSummary, any Error>, envelope: SMTPEnvelope, logger: Logger
    ) -> SMTPDeliveryResult {
        switch result {
        case .success(let summary):
            logger.info(Logger.Message(stringLiteral: storedLine(summary, envelope: envelope)))
            return .accepted(id: summary.id)
        case .failure(StoreError.inboxNotFound(let name)):
            return .rejected(.inboxDoesNotExist(name))
        case .failure(let error):
            logger.error("could not store message: \(error)")
            return .rejected(.storageFailure)
        }
    }

    /// The line logged for every stored message, `stored ID in INBOX: from=<…> to=<…,…> size=N subject="…"`,
    /// built in one buffer: string appends, a dozen of them, cost more than the rest of the line.
    static func storedLine(_ summary: MessageSummary, envelope: SMTPEnvelope) -> String {
        var line: [UInt8] = []
        line.reserveCapacity(128 + summary.subject.utf8.count + envelope.recipients.count * 32)
        func add(_ text: String) { line.append(contentsOf: text.utf8) }
        add("stored ")
        add(summary.id)
        add(" in ")
        add(summary.inbox)
        add(": from=<")
        add(LogText.escaped(envelope.mailFrom))
        add("> to=<")
        for (index, recipient) in envelope.recipients.enumerated() {
            if index > 0 { add(">,<") }
            add(LogText.escaped(recipient.address))
        }
        add("> size=")
        add(String(summary.size))
        add(" subject=\"")
        add(LogText.escaped(summary.subject))
        add("\"")
        return String(decoding: line, as: UTF8.self)
    }

    func authenticate(_ credentials: SMTPCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        // AUTH is once per session, not per message: the store's async API is fine here.
        eventLoop.makeFutureWithTask { try await isAccepted(credentials) }
    }

    private func isAccepted(_ credentials: SMTPCredentials) async throws -> Bool {
        var givenPassword: String?
        if case .password(_, let password) = credentials { givenPassword = password }
        let authentication = InboxAuthentication(store: store, policy: policy, logger: logger)
        return try await authentication.authenticate(
            username: credentials.username, givenPassword: givenPassword, mechanism: "SMTP AUTH",
            proves: credentials.isValid(forPassword:))
    }
}

extension MessageEnvelope {
    /// The store's record of an SMTP transaction's envelope and session.
    public init(_ envelope: SMTPEnvelope) {
        self.init(
            source: .smtp,
            mailFrom: envelope.mailFrom,
            mailParameters: envelope.mailParameters,
            recipients: envelope.recipients,
            heloName: envelope.session.heloName,
            usedExtendedHello: envelope.session.usedExtendedHello,
            clientAddress: envelope.session.clientAddress,
            clientPort: envelope.session.clientPort,
            tlsVersion: envelope.session.tlsVersion,
            authenticatedUser: envelope.session.authenticatedUser)
    }
}

/// Reports SMTP sessions and replies to the metrics.
struct SMTPMetricsObserver: SMTPSessionObserver {
    let metrics: MailpenMetrics

    func sessionOpened() { metrics.smtpSessionOpened() }
    func sessionClosed() { metrics.smtpSessionClosed() }
    func replied(code: Int) { metrics.smtpReply(code: code) }
}
