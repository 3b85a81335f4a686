/// The whole SMTP server protocol of one connection as a pure state machine: it takes what the client
/// sent (command lines, message bytes) and what the outside world decided (delivery, authentication,
/// TLS, shutdown) and answers with the action to take. It owns no socket, clock or storage, so every
/// command in every state is unit-testable; MailpenSMTP's channel handler adapts it to SwiftNIO.
///
/// What it asks of its driver is in `SMTPSessionStateMachine+Action.swift`, its settings in
/// `SMTPSessionStateMachine+Configuration.swift`, the AUTH dialogue in ``SMTPAuthenticationMachine`` and
/// every reply it sends in `SMTPReply+Catalog.swift`.
public struct SMTPSessionStateMachine: Sendable {
    private enum State: Sendable {
        case connecting
        case awaitingHello
        case ready
        case inTransaction
        case receivingData
        case receivingChunk(size: Int, remaining: Int, isLast: Bool)
        case discardingChunk(remaining: Int, reply: SMTPReply)
        case delivering
        case authenticating
        case checkingCredentials(username: String)
        case startingTLS
        case consulting(Pending)
        case closed
    }

    /// The step a stage decision holds back.
    private enum Pending: Sendable {
        case greeting
        case hello(domain: String, extended: Bool)
        case credentials(SMTPCredentials)
        case mail(reversePath: String, parameters: [SMTPParameter])
        case recipient(SMTPRecipient)
        case data
        case chunk(size: Int, isLast: Bool)
        case delivery
    }

    /// When to hang up on a client in the middle of its message (a `disconnect` verdict at `data` or `bdat`).
    private enum Hangup: Sendable {
        case never
        /// After this many more bytes.
        case after(Int)
        /// After half of the first bytes that arrive (the message's size was not declared).
        case halfOfFirstRead
    }

    private struct Draft: Sendable {
        var mailFrom: String
        var parameters: [SMTPParameter]
        var recipients: [SMTPRecipient] = []
        var usesChunking = false
    }

    public let configuration: Configuration
    private var state: State = .connecting
    private var draft: Draft?
    private var body: [UInt8] = []
    private var overflow = 0
    private var unstuffer = DotUnstuffer()
    private var errorCount = 0
    private var authentication: SMTPAuthenticationMachine
    private var isShuttingDown = false
    private var hangup = Hangup.never

    /// Facts about the session recorded in every envelope; the caller fills in the client address.
    public private(set) var session: SMTPSessionInfo

    /// Creates a session. `challengeNonce` is a random string used to make CRAM-MD5 challenges unique.
    public init(configuration: Configuration, session: SMTPSessionInfo = SMTPSessionInfo(), challengeNonce: String) {
        self.configuration = configuration
        self.session = session
        self.authentication = SMTPAuthenticationMachine(
            hostname: configuration.hostname, challengeNonce: challengeNonce)
    }

    /// How the next input must be framed.
    public var inputMode: InputMode {
        switch state {
        case .awaitingHello, .ready, .inTransaction: return .commandLine
        case .authenticating: return .authenticationResponse
        case .receivingData: return .messageData
        case .receivingChunk(_, let remaining, _), .discardingChunk(let remaining, _):
            return .chunk(remaining: remaining)
        case .connecting, .delivering, .checkingCredentials, .startingTLS, .consulting: return .suspended
        case .closed: return .closed
        }
    }

    /// Whether a mail transaction is under way (between MAIL and its final reply).
    public var isInTransaction: Bool {
        switch state {
        case .inTransaction, .receivingData, .receivingChunk, .discardingChunk, .delivering: return true
        case .consulting: return draft != nil
        default: return false
        }
    }

    private var offersStartTLS: Bool { configuration.offersStartTLS && session.tlsVersion == nil }

    // MARK: - Events from the connection

    /// The connection is open: greet, or refuse when the server is over its connection limit.
    public mutating func connectionOpened(accepting: Bool = true) -> Action {
        guard accepting else {
            state = .closed
            return .replyAndClose([.tooManyConnections])
        }
        if configuration.consultsAtStages {
            state = .consulting(.greeting)
            return .consult(check(.connect))
        }
        state = .awaitingHello
        return .reply(.greeting(hostname: configuration.hostname))
    }

    /// The driver decided on the stage handed out by ``Action/consult(_:)``.
    public mutating func stageDecided(_ verdict: SMTPStageVerdict) -> Action {
        guard case .consulting(let pending) = state else { return .none }
        switch verdict {
        case .proceed:
            return proceed(with: pending)
        case .refuse(let reply):
            return refuse(pending, with: reply)
        case .disconnect:
            switch pending {
            case .data:
                hangup = Self.declaredSize(draft?.parameters ?? []).map { .after(max(1, $0 / 2)) } ?? .halfOfFirstRead
                return proceed(with: pending)
            case .chunk(let size, _) where size > 1:
                hangup = .after(size / 2)
                return proceed(with: pending)
            default:
                state = .closed
                body = []
                draft = nil
                return .replyAndClose([])
            }
        }
    }

    private mutating func proceed(with pending: Pending) -> Action {
        switch pending {
        case .greeting:
            state = .awaitingHello
            return .reply(.greeting(hostname: configuration.hostname))
        case .hello(let domain, let extended):
            return completeGreeting(domain: domain, extended: extended)
        case .credentials(let credentials):
            state = .checkingCredentials(username: credentials.username)
            return .checkCredentials(credentials)
        case .mail(let reversePath, let parameters):
            draft = Draft(mailFrom: reversePath, parameters: parameters)
            state = .inTransaction
            return .reply(.senderAccepted)
        case .recipient(let recipient):
            draft?.recipients.append(recipient)
            state = .inTransaction
            return .reply(.recipientAccepted)
        case .data:
            body = []
            overflow = 0
            unstuffer = DotUnstuffer()
            state = .receivingData
            return .reply(.startMailInput)
        case .chunk(let size, let isLast):
            return beginChunk(size: size, isLast: isLast)
        case .delivery:
            return deliver()
        }
    }

    private mutating func refuse(_ pending: Pending, with reply: SMTPReply) -> Action {
        // 421 says the server is closing the channel (RFC 5321 §3.8): it does, at any stage.
        if reply.code == 421 { return close(with: reply) }
        switch pending {
        case .greeting:
            return close(with: reply)
        case .delivery:
            resetTransaction()
            return countingErrors(.reply(reply))
        case .chunk(let size, _):
            // A refused chunk fails the transaction (RFC 3030 §2); its octets are read and dropped.
            resetTransaction()
            let action = discard(size, then: reply)
            if case .reply = action { return countingErrors(action) }
            return action
        case .hello, .credentials, .mail, .recipient, .data:
            state = restingState
            return countingErrors(.reply(reply))
        }
    }

    /// The state between commands: in a transaction, greeted, or not yet greeted.
    private var restingState: State {
        if draft != nil { return .inTransaction }
        return session.heloName == nil ? .awaitingHello : .ready
    }

    private func check(_ stage: SMTPStage, mailFrom: String? = nil, adding recipient: String? = nil) -> SMTPStageCheck {
        var recipients = draft?.recipients.map(\.address) ?? []
        if let recipient { recipients.append(recipient) }
        return SMTPStageCheck(
            stage: stage, mailFrom: mailFrom ?? draft?.mailFrom, recipients: recipients,
            username: session.authenticatedUser, session: session)
    }

    private static func declaredSize(_ parameters: [SMTPParameter]) -> Int? {
        guard let value = parameters.first(where: { $0.keyword.uppercased() == "SIZE" })?.value,
            let size = Int(value), size > 0
        else { return nil }
        return size
    }

    /// A line arrived in ``InputMode/commandLine`` or ``InputMode/authenticationResponse`` mode.
    public mutating func receive(line: some Collection<UInt8>) -> Action {
        switch state {
        case .authenticating:
            return countingErrors(follow(authentication.receive(response: line)))
        case .awaitingHello, .ready, .inTransaction:
            if isShuttingDown && !isInTransaction { return close(with: .shuttingDown) }
            do {
                let command = try SMTPCommandParser.parse(line)
                return countingErrors(handle(command))
            } catch {
                // A BDAT whose size was read is followed by its chunk: read and drop it, then reply (counted then).
                if let size = error.chunkSize, size > 0 { return discard(size, then: error.reply) }
                return countingErrors(.reply(error.reply))
            }
        default:
            return .none
        }
    }

    /// A command line longer than the limit arrived (its bytes were dropped).
    public mutating func receiveOverlongLine() -> Action {
        switch state {
        case .authenticating:
            authentication.abandon()
            state = session.heloName == nil ? .awaitingHello : .ready
            return countingErrors(.reply(.lineTooLong))
        case .awaitingHello, .ready, .inTransaction:
            return countingErrors(.reply(.lineTooLong))
        default:
            return .none
        }
    }

    /// Message bytes arrived in ``InputMode/messageData`` or ``InputMode/chunk(remaining:)`` mode.
    /// Returns how many were consumed (the rest belongs to what follows) and the action, if any.
    public mutating func receive(messageBytes input: UnsafeRawBufferPointer) -> (consumed: Int, action: Action) {
        if case .never = hangup {
        } else {
            return readUntilHangup(input)
        }
        switch state {
        case .receivingData:
            let (consumed, finished) = unstuffer.consume(
                input, into: &body, limit: configuration.maximumMessageSize, overflow: &overflow)
            guard finished else { return (consumed, .none) }
            if overflow > 0 {
                resetTransaction()
                return (consumed, countingErrors(.reply(.messageTooBig)))
            }
            return (consumed, startDelivery())

        case .receivingChunk(let size, let remaining, let isLast):
            let count = min(remaining, input.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<count]))
            guard count == remaining else {
                state = .receivingChunk(size: size, remaining: remaining - count, isLast: isLast)
                return (count, .none)
            }
            return (count, finishChunk(size: size, isLast: isLast))

        case .discardingChunk(let remaining, let reply):
            let count = min(remaining, input.count)
            guard count == remaining else {
                state = .discardingChunk(remaining: remaining - count, reply: reply)
                return (count, .none)
            }
            state = draft == nil ? (session.heloName == nil ? .awaitingHello : .ready) : .inTransaction
            return (count, countingErrors(.reply(reply)))

        default:
            return (0, .none)
        }
    }

    /// Reads message bytes of a transaction that is to be dropped, until the hang-up point (or the end of the
    /// message or chunk, if that comes first), then closes without a reply. Nothing is delivered.
    private mutating func readUntilHangup(_ input: UnsafeRawBufferPointer) -> (consumed: Int, action: Action) {
        let limit: Int
        switch hangup {
        case .never: return (0, .none)
        case .after(let count): limit = count
        case .halfOfFirstRead: limit = max(1, input.count / 2)
        }
        var count = min(limit, input.count)
        var ended = false
        switch state {
        case .receivingData:
            let (consumed, finished) = unstuffer.consume(
                UnsafeRawBufferPointer(rebasing: input[0..<count]), into: &body,
                limit: configuration.maximumMessageSize, overflow: &overflow)
            count = consumed
            ended = finished
        case .receivingChunk(_, let remaining, _):
            count = min(count, remaining)
            ended = count == remaining
        default:
            ended = true
        }
        guard count >= limit || ended else {
            hangup = .after(limit - count)
            return (count, .none)
        }
        hangup = .never
        state = .closed
        body = []
        draft = nil
        return (count, .replyAndClose([]))
    }

    /// The delivery handler finished with the transaction handed out by ``Action/deliver(_:)``.
    public mutating func deliveryCompleted(_ result: SMTPDeliveryResult) -> Action {
        guard case .delivering = state else { return .none }
        resetTransaction()
        let reply: SMTPReply
        switch result {
        case .accepted(let id): reply = .queued(as: id)
        case .rejected(let rejection): reply = rejection
        }
        if isShuttingDown {
            state = .closed
            return .replyAndClose([reply, .shuttingDown])
        }
        return .reply(reply)
    }

    /// The authenticator decided on the credentials handed out by ``Action/checkCredentials(_:)``.
    public mutating func credentialsChecked(accepted: Bool) -> Action {
        guard case .checkingCredentials(let username) = state else { return .none }
        state = .ready
        guard accepted else { return countingErrors(.reply(.authenticationFailed)) }
        session.authenticatedUser = username
        return .reply(.authenticationSucceeded)
    }

    /// The authenticator could not decide (its store is unreachable): a temporary failure the client may
    /// retry, not a verdict on the credentials.
    public mutating func credentialsCouldNotBeChecked() -> Action {
        guard case .checkingCredentials = state else { return .none }
        state = .ready
        return .reply(.authenticationUnavailable)
    }

    /// The TLS handshake after STARTTLS (or on an implicit-TLS port) completed. The session starts over
    /// (RFC 3207 §4.2): the client must greet again and authenticate again.
    public mutating func tlsEstablished(version: String) -> Action {
        session.tlsVersion = version
        session.heloName = nil
        session.usedExtendedHello = false
        session.authenticatedUser = nil
        draft = nil
        if case .startingTLS = state { state = .awaitingHello }
        return .none
    }

    /// The client has been silent for too long. A session already closed stays closed, without a reply.
    public mutating func idleTimeoutExpired() -> Action {
        guard case .closed = state else { return close(with: .timeout) }
        return .none
    }

    /// The server is shutting down. An idle session is closed now; a session in a transaction finishes it
    /// first (the caller enforces a grace period with ``shutdownGraceExpired()``).
    public mutating func shutdownRequested() -> Action {
        isShuttingDown = true
        switch state {
        case .awaitingHello, .ready, .authenticating, .connecting:
            return close(with: .shuttingDown)
        default:
            return .none
        }
    }

    /// The grace period for a shutdown is over: close whatever is in progress.
    public mutating func shutdownGraceExpired() -> Action {
        guard case .closed = state else { return close(with: .shuttingDown) }
        return .none
    }

    // MARK: - Commands

    private mutating func handle(_ command: SMTPCommand) -> Action {
        switch command {
        case .hello(let domain):
            return greet(domain: domain, extended: false)
        case .extendedHello(let domain):
            return greet(domain: domain, extended: true)
        case .mail(let reversePath, let parameters):
            return startTransaction(reversePath: reversePath, parameters: parameters)
        case .recipient(let forwardPath, let parameters):
            return addRecipient(forwardPath, parameters: parameters)
        case .data:
            return startData()
        case .binaryData(let size, let isLast):
            return startChunk(size: size, isLast: isLast)
        case .reset:
            resetTransaction()
            return .reply(.ok)
        case .noop:
            return .reply(.ok)
        case .quit:
            state = .closed
            return .replyAndClose([.bye])
        case .help:
            return .reply(.help(webURL: configuration.helpURL))
        case .verify:
            return .reply(.cannotVerify)
        case .expand:
            return .reply(.expandNotSupported)
        case .startTLS:
            return startTLS()
        case .authenticate(let mechanism, let initialResponse):
            return startAuthentication(mechanism: mechanism, initialResponse: initialResponse)
        }
    }

    private mutating func greet(domain: String, extended: Bool) -> Action {
        if configuration.consultsAtStages {
            state = .consulting(.hello(domain: domain, extended: extended))
            return .consult(check(.ehlo))
        }
        return completeGreeting(domain: domain, extended: extended)
    }

    private mutating func completeGreeting(domain: String, extended: Bool) -> Action {
        draft = nil
        session.heloName = domain
        session.usedExtendedHello = extended
        state = .ready
        guard extended else { return .reply(.hello(hostname: configuration.hostname)) }
        return .reply(
            .extendedHello(
                hostname: configuration.hostname, clientDomain: domain,
                maximumMessageSize: configuration.maximumMessageSize, offersStartTLS: offersStartTLS))
    }

    private mutating func startTransaction(reversePath: String, parameters: [SMTPParameter]) -> Action {
        switch state {
        case .awaitingHello: return .reply(.heloFirst)
        case .inTransaction: return .reply(.nestedMail)
        default: break
        }
        let failure = SMTPParameterRules.validateMail(parameters, maximumMessageSize: configuration.maximumMessageSize)
        if let failure { return .reply(failure) }
        if configuration.consultsAtStages {
            state = .consulting(.mail(reversePath: reversePath, parameters: parameters))
            return .consult(check(.mail, mailFrom: reversePath))
        }
        draft = Draft(mailFrom: reversePath, parameters: parameters)
        state = .inTransaction
        return .reply(.senderAccepted)
    }

    private mutating func addRecipient(_ address: String, parameters: [SMTPParameter]) -> Action {
        guard case .inTransaction = state, var current = draft else {
            return .reply(session.heloName == nil ? .heloFirst : .needMail)
        }
        if current.usesChunking { return .reply(.badSequence) }
        guard current.recipients.count < configuration.maximumRecipients else { return .reply(.tooManyRecipients) }
        if let failure = SMTPParameterRules.validateRecipient(parameters) { return .reply(failure) }
        if configuration.consultsAtStages {
            state = .consulting(.recipient(SMTPRecipient(address: address, parameters: parameters)))
            return .consult(check(.rcpt, adding: address))
        }
        current.recipients.append(SMTPRecipient(address: address, parameters: parameters))
        draft = current
        return .reply(.recipientAccepted)
    }

    private mutating func startData() -> Action {
        guard case .inTransaction = state, let current = draft else {
            return .reply(session.heloName == nil ? .heloFirst : .needMail)
        }
        guard !current.recipients.isEmpty else { return .reply(.needRecipient) }
        guard !current.usesChunking else { return .reply(.badSequence) }
        if configuration.consultsAtStages {
            state = .consulting(.data)
            return .consult(check(.data))
        }
        body = []
        overflow = 0
        unstuffer = DotUnstuffer()
        state = .receivingData
        return .reply(.startMailInput)
    }

    private mutating func startChunk(size: Int, isLast: Bool) -> Action {
        // The chunk's octets follow the command whatever the reply; they must be read either way.
        guard case .inTransaction = state, let current = draft, !current.recipients.isEmpty else {
            let reply: SMTPReply = session.heloName == nil ? .heloFirst : (draft == nil ? .needMail : .needRecipient)
            return discard(size, then: reply)
        }
        if configuration.consultsAtStages {
            state = .consulting(.chunk(size: size, isLast: isLast))
            return .consult(check(.bdat))
        }
        return beginChunk(size: size, isLast: isLast)
    }

    private mutating func beginChunk(size: Int, isLast: Bool) -> Action {
        guard var current = draft else {
            resetTransaction()
            return discard(size, then: .needMail)
        }
        if !current.usesChunking {
            current.usesChunking = true
            draft = current
            body = []
        }
        if body.count + size > configuration.maximumMessageSize {
            resetTransaction()
            return discard(size, then: .messageTooBig)
        }
        state = .receivingChunk(size: size, remaining: size, isLast: isLast)
        if size == 0 { return finishChunk(size: 0, isLast: isLast) }
        return .none
    }

    private mutating func discard(_ size: Int, then reply: SMTPReply) -> Action {
        if size == 0 { return .reply(reply) }
        state = .discardingChunk(remaining: size, reply: reply)
        return .none
    }

    private mutating func finishChunk(size: Int, isLast: Bool) -> Action {
        if isLast { return startDelivery() }
        state = .inTransaction
        return .reply(.chunkReceived(octets: size))
    }

    private mutating func startDelivery() -> Action {
        if configuration.consultsAtStages, draft != nil {
            state = .consulting(.delivery)
            return .consult(check(.message))
        }
        return deliver()
    }

    private mutating func deliver() -> Action {
        guard let current = draft else {
            resetTransaction()
            return .reply(.needMail)
        }
        let envelope = SMTPEnvelope(
            mailFrom: current.mailFrom,
            mailParameters: current.parameters,
            recipients: current.recipients,
            session: session)
        let message = body
        body = []
        state = .delivering
        return .deliver(SMTPTransaction(envelope: envelope, message: message))
    }

    private mutating func resetTransaction() {
        draft = nil
        body = []
        overflow = 0
        state = session.heloName == nil ? .awaitingHello : .ready
    }

    private mutating func startTLS() -> Action {
        if session.tlsVersion != nil { return .reply(.tlsAlreadyActive) }
        guard configuration.offersStartTLS else { return .reply(.startTLSNotAvailable) }
        if isInTransaction { return .reply(.badSequence) }
        state = .startingTLS
        return .replyAndStartTLS(.readyToStartTLS)
    }

    // MARK: - AUTH

    private mutating func startAuthentication(mechanism: String, initialResponse: String?) -> Action {
        guard session.heloName != nil, session.usedExtendedHello else { return .reply(.extendedHelloFirst) }
        if session.authenticatedUser != nil { return .reply(.alreadyAuthenticated) }
        if isInTransaction { return .reply(.authenticationInTransaction) }
        return follow(authentication.start(mechanism: mechanism, initialResponse: initialResponse))
    }

    /// Turns a step of the AUTH dialogue into the session's state and action.
    private mutating func follow(_ step: SMTPAuthenticationMachine.Action) -> Action {
        switch step {
        case .challenge(let reply):
            state = .authenticating
            return .reply(reply)
        case .check(let credentials):
            if configuration.consultsAtStages {
                state = .consulting(.credentials(credentials))
                var stageCheck = check(.auth)
                stageCheck.username = credentials.username
                return .consult(stageCheck)
            }
            state = .checkingCredentials(username: credentials.username)
            return .checkCredentials(credentials)
        case .fail(let reply):
            state = session.heloName == nil ? .awaitingHello : .ready
            return .reply(reply)
        }
    }

    // MARK: - Helpers

    private mutating func close(with reply: SMTPReply) -> Action {
        state = .closed
        hangup = .never
        body = []
        draft = nil
        return .replyAndClose([reply])
    }

    /// Counts failed replies and closes the session once a client has made too many mistakes.
    private mutating func countingErrors(_ action: Action) -> Action {
        guard case .reply(let reply) = action, reply.code >= 400 else { return action }
        errorCount += 1
        guard errorCount >= configuration.maximumErrors else { return action }
        state = .closed
        return .replyAndClose([reply, .tooManyErrors])
    }
}
