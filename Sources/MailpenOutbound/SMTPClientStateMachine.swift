import Foundation

/// The client side of one SMTP delivery as a pure state machine: it is told what the connection did (it
/// opened, a reply arrived, TLS is up, a timer fired, it broke) and answers with the one thing to do next
/// (send these bytes and wait so long, start TLS, send the message, close with this result). It owns no
/// socket or clock, so every dialogue can be unit-tested; ``OutboundSMTPClient`` runs it over SwiftNIO.
///
/// The dialogue: greeting, EHLO (HELO if EHLO is not recognised), STARTTLS and EHLO again if configured,
/// AUTH if configured, MAIL FROM with SIZE/BODY/SMTPUTF8 as needed, RCPT TO for every recipient, DATA and
/// the message, QUIT. MAIL, RCPT and DATA go out in one write when the server offers PIPELINING.
public struct SMTPClientStateMachine: Sendable {
    /// The parts of a relay's configuration that shape the dialogue.
    public struct Configuration: Sendable, Hashable {
        /// The name the client gives in EHLO/HELO.
        public var heloName: String
        /// STARTTLS is required with ``SMTPClientTLSMode/startTLS``; with ``SMTPClientTLSMode/implicit`` the
        /// connection is already encrypted when the greeting arrives.
        public var tls: SMTPClientTLSMode
        /// Log in with this, or not at all.
        public var authentication: SMTPClientAuthentication?
        public var timeouts: SMTPClientTimeouts

        public init(
            heloName: String, tls: SMTPClientTLSMode, authentication: SMTPClientAuthentication? = nil,
            timeouts: SMTPClientTimeouts = SMTPClientTimeouts()
        ) {
            self.heloName = heloName
            self.tls = tls
            self.authentication = authentication
            self.timeouts = timeouts
        }
    }

    /// What the caller must do next.
    public enum Action: Sendable, Hashable {
        /// Nothing now.
        case none
        /// Write these bytes, then wait at most `replyTimeout` for the next reply.
        case send([UInt8], replyTimeout: Duration)
        /// Keep waiting, at most `replyTimeout`, for the next reply (of a pipelined group).
        case awaitReply(replyTimeout: Duration)
        /// Start a TLS handshake on the connection, then call ``tlsEstablished()``; give up after `timeout`.
        /// Bytes already received must not be read any more: they arrived before the handshake.
        case startTLS(timeout: Duration)
        /// Write the DATA stream, giving up if any block is not taken by the network within `blockTimeout`;
        /// then call ``messageWritten()``.
        case sendMessage([UInt8], blockTimeout: Duration)
        /// Close the connection; the attempt is over with this result.
        case close(OutboundResult)
    }

    private enum AuthenticationStep: Sendable, Hashable {
        case plain(responseSent: Bool)
        case loginUsername
        case loginPassword
        case cramMD5Challenge
        case outcome
    }

    private enum TransactionCommand: Sendable, Hashable {
        case mail
        case recipient(Int)
        case data
    }

    private enum State: Sendable {
        case idle
        case awaitingGreeting
        case awaitingEHLO
        case awaitingHELO
        case awaitingStartTLS
        case handshaking
        case authenticating(AuthenticationStep)
        case inTransaction
        case sendingMessage
        case awaitingDataEnd
        case quitting(OutboundResult)
        case closed
    }

    public let configuration: Configuration
    private let message: OutboundMessage
    private let messageSize: Int
    private let needs8BitMIME: Bool
    private let needsSMTPUTF8: Bool
    private var state: State = .idle
    private var capabilities = SMTPServerCapabilities.none
    private var isTLSActive = false
    private var isAuthenticated = false
    private var lastReply: SMTPServerReply?
    private var mailReply: SMTPServerReply?
    private var recipientReplies: [SMTPServerReply?]
    /// Transaction commands sent and not answered yet, oldest first from `inFlightIndex`.
    private var inFlight: [(command: TransactionCommand, line: String)] = []
    private var inFlightIndex = 0
    /// Transaction commands still to send, one at a time, when the server does not pipeline.
    private var unsent: [(command: TransactionCommand, line: String)] = []
    private var unsentIndex = 0
    private var currentTimeout: Duration = .zero

    /// A dialogue that will deliver `message` as configured.
    public init(configuration: Configuration, message: OutboundMessage) {
        self.configuration = configuration
        self.message = message
        self.messageSize = SMTPDataEncoding.messageSize(of: message.content)
        self.needs8BitMIME = SMTPDataEncoding.needs8BitTransport(message.content)
        self.needsSMTPUTF8 = ([message.mailFrom] + message.recipients).contains(where: OutboundMessage.needsSMTPUTF8)
        self.recipientReplies = Array(repeating: nil, count: message.recipients.count)
    }

    /// Why this message cannot be sent to any server, or `nil`: checked before connecting.
    public var preflightProblem: String? {
        if let problem = message.envelopeProblem() { return problem }
        let helo = configuration.heloName
        if helo.isEmpty || helo.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return
                "the HELO name \"\(helo.debugDescription.dropFirst().dropLast())\" is empty or has spaces or control characters"
        }
        return nil
    }

    /// Whether the attempt is over.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: - Events

    /// The TCP connection is open (for implicit TLS, the handshake may still be running).
    public mutating func connected() -> Action {
        guard case .idle = state else { return .none }
        if let problem = preflightProblem {
            return finish(failure: .permanentFailure, error: problem, quit: false)
        }
        state = .awaitingGreeting
        return awaitReply(configuration.timeouts.greeting)
    }

    /// A complete reply arrived.
    public mutating func received(_ reply: SMTPServerReply) -> Action {
        switch state {
        case .quitting(let result):
            state = .closed
            return .close(result)
        case .idle, .closed:
            return .none
        case .handshaking:
            return finish(
                failure: .temporaryFailure, error: "the server sent a reply during the TLS handshake", quit: false)
        default:
            break
        }
        lastReply = reply
        if reply.code == 421 {
            // The server is closing the connection (RFC 5321 §3.8): there is no point in QUIT.
            return finish(
                failure: .temporaryFailure, error: "the server closed the session: \(reply.text)", quit: false,
                judgingRecipientsByTheirReplies: mailReply?.isPositiveCompletion == true)
        }
        switch state {
        case .awaitingGreeting:
            guard reply.code == 220 else { return fail(reply, "the server refused the connection") }
            return sendHello(extended: true)
        case .awaitingEHLO:
            if reply.code == 250 {
                capabilities = SMTPServerCapabilities(ehloReply: reply)
                return helloAccepted()
            }
            if reply.code == 500 || reply.code == 502 { return sendHello(extended: false) }
            return fail(reply, "EHLO refused")
        case .awaitingHELO:
            guard reply.code == 250 else { return fail(reply, "HELO refused") }
            capabilities = .none
            return helloAccepted()
        case .awaitingStartTLS:
            guard reply.code == 220 else { return fail(reply, "STARTTLS refused") }
            state = .handshaking
            currentTimeout = configuration.timeouts.command
            return .startTLS(timeout: currentTimeout)
        case .authenticating(let step):
            return continueAuthentication(step, reply: reply)
        case .inTransaction:
            return transactionReplied(reply)
        case .sendingMessage:
            // The server answered before the message was complete: it is refusing it, or out of step (a
            // positive reply here accepted nothing). The connection is mid-DATA, so it can only be closed.
            guard !reply.isPositiveCompletion else {
                return fail(reply, "the server answered before the message was sent", quit: false)
            }
            return finishTransaction(finalReply: reply, quit: false)
        case .awaitingDataEnd:
            return finishTransaction(finalReply: reply, quit: true)
        case .idle, .closed, .quitting, .handshaking:
            return .none
        }
    }

    /// The TLS handshake finished (after STARTTLS, or on an implicit-TLS connection).
    public mutating func tlsEstablished() -> Action {
        isTLSActive = true
        guard case .handshaking = state else { return .none }
        // RFC 3207 §4.2: everything learnt before TLS is forgotten; greet again.
        capabilities = .none
        return sendHello(extended: true)
    }

    /// The DATA stream has been handed to the network completely.
    public mutating func messageWritten() -> Action {
        guard case .sendingMessage = state else { return .none }
        state = .awaitingDataEnd
        return awaitReply(configuration.timeouts.dataTermination)
    }

    /// The timeout of the last action ran out.
    public mutating func timedOut() -> Action {
        switch state {
        case .quitting(let result):
            state = .closed
            return .close(result)
        case .idle, .closed:
            return .none
        case .sendingMessage:
            return finish(
                failure: .temporaryFailure,
                error:
                    "timed out after \(Self.describe(currentTimeout)) sending the message data (the server stopped reading)",
                quit: false, judgingRecipientsByTheirReplies: true)
        default:
            return finish(
                failure: .temporaryFailure,
                error: "timed out after \(Self.describe(currentTimeout)) waiting for \(awaitedEvent)",
                quit: false, judgingRecipientsByTheirReplies: mailReply?.isPositiveCompletion == true)
        }
    }

    /// The attempt ran past ``SMTPClientTimeouts/attempt`` before its message data, whatever step it was at.
    public mutating func attemptTimedOut() -> Action {
        abandon("the attempt ran past its limit of \(Self.describe(configuration.timeouts.attempt))")
    }

    /// The connection failed or was closed by the server. `reason` says how ("the server closed the
    /// connection", "TLS handshake failed: …"); the machine adds what it was waiting for.
    public mutating func connectionFailed(_ reason: String) -> Action {
        abandon(reason)
    }

    /// Ends the attempt where it stands for `reason`, adding what it was waiting for.
    private mutating func abandon(_ reason: String) -> Action {
        switch state {
        case .quitting(let result):
            state = .closed
            return .close(result)
        case .closed:
            return .none
        case .idle:
            return finish(failure: .temporaryFailure, error: reason, quit: false)
        default:
            return finish(
                failure: .temporaryFailure, error: "\(reason) while waiting for \(awaitedEvent)", quit: false,
                judgingRecipientsByTheirReplies: mailReply?.isPositiveCompletion == true)
        }
    }

    // MARK: - Greeting, TLS and AUTH

    private mutating func sendHello(extended: Bool) -> Action {
        state = extended ? .awaitingEHLO : .awaitingHELO
        return send("\(extended ? "EHLO" : "HELO") \(configuration.heloName)", timeout: configuration.timeouts.command)
    }

    private mutating func helloAccepted() -> Action {
        if configuration.tls == .startTLS && !isTLSActive {
            guard capabilities.supportsStartTLS else {
                // Temporary: a missing STARTTLS is also what an attacker stripping it from the reply looks like.
                return finish(
                    failure: .temporaryFailure,
                    error: "the server does not offer STARTTLS, which tls=starttls requires",
                    quit: true)
            }
            state = .awaitingStartTLS
            return send("STARTTLS", timeout: configuration.timeouts.command)
        }
        if let authentication = configuration.authentication, !isAuthenticated {
            return startAuthentication(authentication)
        }
        return startTransaction()
    }

    private mutating func startAuthentication(_ authentication: SMTPClientAuthentication) -> Action {
        let offered = capabilities.authenticationMechanisms
        let mechanism = authentication.mechanism.rawValue
        guard offered.contains(mechanism) else {
            let error =
                offered.isEmpty
                ? "the server does not offer AUTH, which the configuration requires (AUTH \(mechanism))"
                : "the server does not offer AUTH \(mechanism) (it offers \(offered.sorted().joined(separator: " ")))"
            return finish(failure: .permanentFailure, error: error, quit: true)
        }
        let timeout = configuration.timeouts.command
        switch authentication.mechanism {
        case .plain:
            state = .authenticating(.plain(responseSent: false))
            return send("AUTH PLAIN \(authentication.plainResponse)", timeout: timeout)
        case .login:
            state = .authenticating(.loginUsername)
            return send("AUTH LOGIN", timeout: timeout)
        case .cramMD5:
            state = .authenticating(.cramMD5Challenge)
            return send("AUTH CRAM-MD5", timeout: timeout)
        }
    }

    private mutating func continueAuthentication(_ step: AuthenticationStep, reply: SMTPServerReply) -> Action {
        guard let authentication = configuration.authentication else { return .none }
        let timeout = configuration.timeouts.command
        if reply.code == 235 {
            isAuthenticated = true
            return startTransaction()
        }
        guard reply.code == 334 else {
            return fail(reply, "AUTH \(authentication.mechanism.rawValue) as \(authentication.username) refused")
        }
        switch step {
        case .plain(responseSent: false):
            // The server did not take the initial response; give it as the answer to the prompt.
            state = .authenticating(.plain(responseSent: true))
            return send(authentication.plainResponse, timeout: timeout)
        case .loginUsername:
            state = .authenticating(.loginPassword)
            return send(Data(authentication.username.utf8).base64EncodedString(), timeout: timeout)
        case .loginPassword:
            state = .authenticating(.outcome)
            return send(Data(authentication.password.utf8).base64EncodedString(), timeout: timeout)
        case .cramMD5Challenge:
            guard let challenge = Data(base64Encoded: reply.lines[0]) else {
                // Mid-exchange, QUIT would be read as a SASL response: close instead.
                return finish(
                    failure: .temporaryFailure, error: "the server's CRAM-MD5 challenge is not base64: \(reply.text)",
                    quit: false)
            }
            state = .authenticating(.outcome)
            return send(authentication.cramMD5Response(challenge: Array(challenge)), timeout: timeout)
        case .plain(responseSent: true), .outcome:
            return finish(
                failure: .temporaryFailure,
                error: "the server asked for more than AUTH \(authentication.mechanism.rawValue) needs: \(reply.text)",
                quit: false)
        }
    }

    // MARK: - The mail transaction

    private mutating func startTransaction() -> Action {
        if needs8BitMIME && !capabilities.supports8BitMIME {
            return finish(
                failure: .permanentFailure,
                error: "the message has 8-bit octets and the server does not announce 8BITMIME; nothing was sent",
                quit: true)
        }
        if needsSMTPUTF8 && !capabilities.supportsSMTPUTF8 {
            return finish(
                failure: .permanentFailure,
                error: "an envelope address is not ASCII and the server does not announce SMTPUTF8; nothing was sent",
                quit: true)
        }
        if let limit = capabilities.maximumMessageSize, messageSize > limit {
            return finish(
                failure: .permanentFailure,
                error:
                    "the message is \(messageSize) octets and the server accepts at most \(limit) (SIZE); nothing was sent",
                quit: true)
        }
        var mail = "MAIL FROM:<\(message.mailFrom)>"
        if capabilities.supportsSize { mail += " SIZE=\(messageSize)" }
        if needs8BitMIME { mail += " BODY=8BITMIME" }
        if needsSMTPUTF8 { mail += " SMTPUTF8" }
        var commands: [(command: TransactionCommand, line: String)] = [(.mail, mail)]
        for (index, recipient) in message.recipients.enumerated() {
            commands.append((.recipient(index), "RCPT TO:<\(recipient)>"))
        }
        commands.append((.data, "DATA"))
        state = .inTransaction
        if capabilities.supportsPipelining {
            inFlight = commands
            inFlightIndex = 0
            var bytes: [UInt8] = []
            for command in commands { bytes += Array(command.line.utf8) + [0x0D, 0x0A] }
            currentTimeout = timeout(for: .mail)
            return .send(bytes, replyTimeout: currentTimeout)
        }
        unsent = commands
        unsentIndex = 0
        return sendNextUnsent()
    }

    private mutating func sendNextUnsent() -> Action {
        let next = unsent[unsentIndex]
        unsentIndex += 1
        inFlight = [next]
        inFlightIndex = 0
        return send(next.line, timeout: timeout(for: next.command))
    }

    private mutating func transactionReplied(_ reply: SMTPServerReply) -> Action {
        guard inFlightIndex < inFlight.count else { return .none }
        let command = inFlight[inFlightIndex].command
        inFlightIndex += 1
        switch command {
        case .mail: mailReply = reply
        case .recipient(let index): recipientReplies[index] = reply
        case .data: break
        }
        if inFlightIndex < inFlight.count {
            return awaitReply(timeout(for: inFlight[inFlightIndex].command))
        }
        let mailAccepted = mailReply?.isPositiveCompletion == true
        if case .data = command {
            guard reply.code == 354 else {
                if mailAccepted && hasAcceptedRecipient {
                    return fail(reply, "DATA refused", judgingRecipientsByTheirReplies: true)
                }
                return finishWithoutData(quit: true)
            }
            guard mailAccepted && hasAcceptedRecipient else {
                // A pipelining server that says 354 with nothing to deliver to: closing mid-DATA guarantees
                // that no (empty) message is delivered.
                return finishWithoutData(quit: false)
            }
            state = .sendingMessage
            currentTimeout = configuration.timeouts.dataBlock
            return .sendMessage(SMTPDataEncoding.encode(message.content), blockTimeout: currentTimeout)
        }
        guard mailAccepted else { return finishWithoutData(quit: true) }
        if case .data = unsent[unsentIndex].command, !hasAcceptedRecipient {
            return finishWithoutData(quit: true)
        }
        return sendNextUnsent()
    }

    private var hasAcceptedRecipient: Bool {
        recipientReplies.contains { $0?.isPositiveCompletion == true }
    }

    /// The transaction ended before the message was sent: MAIL was refused, or every recipient was.
    private mutating func finishWithoutData(quit: Bool) -> Action {
        if let mailReply, !mailReply.isPositiveCompletion {
            return finish(
                failure: OutboundResult.Outcome(refusalCode: mailReply.code),
                error: "MAIL FROM refused: \(mailReply.text)",
                quit: quit)
        }
        return finish(
            failure: .permanentFailure, error: "every recipient was refused", quit: quit,
            judgingRecipientsByTheirReplies: true)
    }

    private mutating func finishTransaction(finalReply: SMTPServerReply, quit: Bool) -> Action {
        guard finalReply.isPositiveCompletion else {
            return fail(finalReply, "the message was refused", quit: quit, judgingRecipientsByTheirReplies: true)
        }
        let recipients = message.recipients.enumerated().map { index, address in
            let reply = recipientReplies[index]
            let outcome: OutboundResult.Outcome =
                reply.map { $0.isPositiveCompletion ? .sent : OutboundResult.Outcome(refusalCode: $0.code) } ?? .sent
            return OutboundResult.Recipient(address: address, reply: reply, outcome: outcome)
        }
        let result = OutboundResult(outcome: .sent, lastReply: finalReply, recipients: recipients, error: nil)
        return conclude(result, quit: quit)
    }

    // MARK: - Ending

    /// Fails the attempt because of `reply`, classified by its code.
    private mutating func fail(
        _ reply: SMTPServerReply, _ context: String, quit: Bool = true, judgingRecipientsByTheirReplies: Bool = false
    ) -> Action {
        finish(
            failure: OutboundResult.Outcome(refusalCode: reply.code), error: "\(context): \(reply.text)", quit: quit,
            judgingRecipientsByTheirReplies: judgingRecipientsByTheirReplies)
    }

    /// Ends the attempt unsent. Recipients get `failure`, except, when `judgingRecipientsByTheirReplies`, those
    /// the server refused, which keep their own reply's classification. The attempt as a whole is temporary if
    /// any recipient is.
    private mutating func finish(
        failure: OutboundResult.Outcome, error: String, quit: Bool, judgingRecipientsByTheirReplies: Bool = false
    ) -> Action {
        let recipients = message.recipients.enumerated().map { index, address in
            let reply = recipientReplies[index]
            var outcome = failure
            if judgingRecipientsByTheirReplies, let reply, !reply.isPositiveCompletion {
                outcome = OutboundResult.Outcome(refusalCode: reply.code)
            }
            return OutboundResult.Recipient(address: address, reply: reply, outcome: outcome)
        }
        let overall: OutboundResult.Outcome
        if recipients.isEmpty {
            overall = failure
        } else {
            overall = recipients.contains { $0.outcome == .temporaryFailure } ? .temporaryFailure : .permanentFailure
        }
        let result = OutboundResult(outcome: overall, lastReply: lastReply, recipients: recipients, error: error)
        return conclude(result, quit: quit)
    }

    private mutating func conclude(_ result: OutboundResult, quit: Bool) -> Action {
        guard quit else {
            state = .closed
            return .close(result)
        }
        state = .quitting(result)
        return send("QUIT", timeout: configuration.timeouts.quit)
    }

    // MARK: - Helpers

    private mutating func send(_ line: String, timeout: Duration) -> Action {
        currentTimeout = timeout
        return .send(Array(line.utf8) + [0x0D, 0x0A], replyTimeout: timeout)
    }

    private mutating func awaitReply(_ timeout: Duration) -> Action {
        currentTimeout = timeout
        return .awaitReply(replyTimeout: timeout)
    }

    private func timeout(for command: TransactionCommand) -> Duration {
        switch command {
        case .mail: return configuration.timeouts.mail
        case .recipient: return configuration.timeouts.recipient
        case .data: return configuration.timeouts.dataInitiation
        }
    }

    /// What the machine is waiting for, for error messages.
    private var awaitedEvent: String {
        switch state {
        case .idle: return "the connection"
        case .awaitingGreeting: return "the greeting"
        case .awaitingEHLO: return "the reply to EHLO"
        case .awaitingHELO: return "the reply to HELO"
        case .awaitingStartTLS: return "the reply to STARTTLS"
        case .handshaking: return "the TLS handshake"
        case .authenticating: return "the reply to AUTH"
        case .inTransaction:
            guard inFlightIndex < inFlight.count else { return "a reply" }
            switch inFlight[inFlightIndex].command {
            case .mail: return "the reply to MAIL FROM"
            case .recipient(let index): return "the reply to RCPT TO:<\(message.recipients[index])>"
            case .data: return "the reply to DATA"
            }
        case .sendingMessage: return "the message data to be sent"
        case .awaitingDataEnd: return "the reply to the end of the message data"
        case .quitting: return "the reply to QUIT"
        case .closed: return "nothing"
        }
    }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}
