import MailpenSASL

/// The POP3 server protocol of one connection (RFC 1939 with CAPA, STLS, SASL PLAIN and extended response
/// codes) as a pure state machine: it takes what the client sent and what the caller decided (credentials,
/// the maildrop, message bytes, the UPDATE's outcome) and answers with the action to take. It owns no
/// socket, clock or storage, so every command in every state is unit-testable.
///
/// The caller (a thin NIO handler) does this:
/// - On connect, performs ``connectionOpened()``; then frames input with ``POP3SessionInput`` (or itself,
///   following ``inputMode``) and performs each action the machine returns:
/// - ``Action/send(_:)``: write ``POP3Response/wireFormat``, go on reading.
/// - ``Action/sendAndClose(_:)``: write it, flush, close. ``Action/close``: close without writing (the
///   RFC 1939 autologout). After either, release the maildrop lock if ``Action/openMaildrop(username:)``
///   was answered with ``POP3MaildropResult/opened(_:)``.
/// - ``Action/startTLS(_:)``: write the response, drop any input already buffered (RFC 2595 §4), run the
///   TLS handshake, then call ``tlsEstablished()`` (or close if the handshake fails).
/// - ``Action/checkCredentials(_:)``: check them, call ``credentialsChecked(accepted:)`` (or
///   ``credentialsCouldNotBeChecked()``).
/// - ``Action/openMaildrop(username:)``: lock and list the user's inbox (oldest first), call
///   ``maildropOpened(_:)``.
/// - ``Action/loadMessage(id:)``: read the message's raw RFC 5322 bytes, call ``messageLoaded(_:)`` (nil
///   when it has gone).
/// - ``Action/update(_:)``: delete or mark read the listed messages (one transaction), call
///   ``updateCompleted(succeeded:)``, which answers QUIT and closes.
/// - The idle timer (``Configuration/idleTimeout``) restarts on every input; when it fires, call
///   ``idleTimeoutExpired()``. On server shutdown call ``shutdownRequested()``.
public struct POP3SessionStateMachine: Sendable {
    /// Settings that shape the session's replies and limits.
    public struct Configuration: Sendable {
        /// The name in the greeting.
        public var hostname: String
        /// Whether STLS is offered (a certificate is configured).
        public var offersSTLS: Bool
        /// Whether USER/PASS and AUTH PLAIN may be used on a connection that is neither TLS nor loopback.
        public var allowsPlaintextAuthentication: Bool
        /// What QUIT does to deleted messages.
        public var deletionMode: POP3DeletionMode
        /// The longest command line in octets without CRLF; longer ones get `-ERR` (RFC 2449 §4 asks
        /// clients for at most 255 with CRLF; SASL responses may be longer, RFC 5034 §4).
        public var maximumLineLength: Int
        /// Failed commands after which the connection is closed.
        public var maximumErrors: Int
        /// Seconds of client silence after which the caller calls ``idleTimeoutExpired()`` (RFC 1939 §3
        /// asks for at least 600).
        public var idleTimeout: Int

        public init(
            hostname: String = "localhost",
            offersSTLS: Bool = false,
            allowsPlaintextAuthentication: Bool = false,
            deletionMode: POP3DeletionMode = .delete,
            maximumLineLength: Int = 8192,
            maximumErrors: Int = 20,
            idleTimeout: Int = 600
        ) {
            self.hostname = hostname
            self.offersSTLS = offersSTLS
            self.allowsPlaintextAuthentication = allowsPlaintextAuthentication
            self.deletionMode = deletionMode
            self.maximumLineLength = maximumLineLength
            self.maximumErrors = maximumErrors
            self.idleTimeout = idleTimeout
        }
    }

    /// Facts about the connection that decide whether a password may be sent over it.
    public typealias Connection = LoginConnection

    /// How the caller must treat the next input bytes.
    public enum InputMode: Sendable, Hashable {
        /// CRLF-terminated command lines, fed to ``receive(line:)``.
        case commandLine
        /// A CRLF-terminated SASL response, also fed to ``receive(line:)``.
        case authenticationResponse
        /// No input is taken now (what arrives waits): the machine waits for the caller (credentials,
        /// maildrop, message, update, TLS handshake).
        case suspended
        /// The session is over.
        case closed
    }

    /// What the caller must do next; see the type's documentation.
    public enum Action: Sendable, Hashable {
        case none
        case send(POP3Response)
        case sendAndClose(POP3Response)
        case close
        case startTLS(POP3Response)
        case checkCredentials(POP3Credentials)
        case openMaildrop(username: String)
        case loadMessage(id: String)
        case update(POP3Update)
    }

    private enum Phase: Sendable, Hashable {
        /// AUTHORIZATION; `user` is the name from a USER command waiting for PASS.
        case authorization(user: String?)
        case awaitingPlainResponse
        case checkingCredentials(username: String)
        case openingMaildrop
        case transaction
        case loadingMessage(number: Int, topLines: Int?)
        case updating
        case startingTLS
        case closed
    }

    public let configuration: Configuration
    public private(set) var connection: Connection
    private var phase: Phase = .authorization(user: nil)
    private var isGreeted = false
    private var messages: [POP3MaildropMessage] = []
    private var deleted: Set<Int> = []
    private var errorCount = 0

    public init(configuration: Configuration, connection: Connection) {
        self.configuration = configuration
        self.connection = connection
    }

    /// How the next input must be framed.
    public var inputMode: InputMode {
        switch phase {
        case .authorization, .transaction: return isGreeted ? .commandLine : .suspended
        case .awaitingPlainResponse: return .authenticationResponse
        case .checkingCredentials, .openingMaildrop, .loadingMessage, .updating, .startingTLS: return .suspended
        case .closed: return .closed
        }
    }

    /// The user whose maildrop is open, once the session is in the TRANSACTION state.
    public private(set) var authenticatedUser: String?

    private var mayUsePlaintext: Bool {
        configuration.allowsPlaintextAuthentication || connection.isTLS || connection.isLoopback
    }

    private var offersSTLSNow: Bool { configuration.offersSTLS && !connection.isTLS }

    // MARK: - Events from the connection

    /// The connection is open: greet.
    public mutating func connectionOpened() -> Action {
        guard !isGreeted, phase == .authorization(user: nil) else { return .none }
        isGreeted = true
        return .send(.ok("\(configuration.hostname) Mailpen POP3 ready"))
    }

    /// A line arrived in ``InputMode/commandLine`` or ``InputMode/authenticationResponse`` mode.
    public mutating func receive(line: some Collection<UInt8>) -> Action {
        switch phase {
        case .awaitingPlainResponse:
            return countingErrors(finishPlain(line))
        case .authorization, .transaction:
            guard isGreeted else { return .none }
            do {
                return countingErrors(handle(try POP3CommandParser.parse(line)))
            } catch {
                return countingErrors(.send(.error(error.reason)))
            }
        default:
            return .none
        }
    }

    /// A line longer than ``Configuration/maximumLineLength`` arrived (its bytes were dropped).
    public mutating func receiveOverlongLine() -> Action {
        switch phase {
        case .awaitingPlainResponse:
            phase = .authorization(user: nil)
            return countingErrors(.send(.error("line too long")))
        case .authorization, .transaction:
            return countingErrors(.send(.error("line too long")))
        default:
            return .none
        }
    }

    /// The answer to ``Action/checkCredentials(_:)``.
    public mutating func credentialsChecked(accepted: Bool) -> Action {
        guard case .checkingCredentials(let username) = phase else { return .none }
        guard accepted else {
            phase = .authorization(user: nil)
            return countingErrors(.send(.error("authentication failed", code: "AUTH")))
        }
        phase = .openingMaildrop
        authenticatedUser = username
        return .openMaildrop(username: username)
    }

    /// The credentials could not be checked now (the store is unreachable): a temporary failure (RFC 3206's
    /// `SYS/TEMP`), not a wrong password.
    public mutating func credentialsCouldNotBeChecked() -> Action {
        guard case .checkingCredentials = phase else { return .none }
        phase = .authorization(user: nil)
        return .send(.error("cannot check credentials now, try again later", code: "SYS/TEMP"))
    }

    /// The answer to ``Action/openMaildrop(username:)``.
    public mutating func maildropOpened(_ result: POP3MaildropResult) -> Action {
        guard phase == .openingMaildrop else { return .none }
        switch result {
        case .opened(let list):
            messages = list
            deleted = []
            phase = .transaction
            return .send(.ok("maildrop has \(list.count) messages (\(totalSize) octets)"))
        case .locked:
            authenticatedUser = nil
            phase = .authorization(user: nil)
            return countingErrors(.send(.error("maildrop already locked", code: "IN-USE")))
        case .failed:
            authenticatedUser = nil
            phase = .authorization(user: nil)
            return countingErrors(.send(.error("maildrop unavailable", code: "SYS/TEMP")))
        }
    }

    /// The answer to ``Action/loadMessage(id:)``: the raw message, or nil when it no longer exists.
    public mutating func messageLoaded(_ raw: [UInt8]?) -> Action {
        guard case .loadingMessage(let number, let topLines) = phase else { return .none }
        phase = .transaction
        guard let raw else { return .send(.error("message \(number) is no longer available", code: "SYS/PERM")) }
        let size = messages[number - 1].size
        if let topLines {
            return .send(
                POP3Response(.ok, "top of message follows", body: POP3MessageEncoder.top(raw, bodyLines: topLines)))
        }
        return .send(POP3Response(.ok, "\(size) octets", body: POP3MessageEncoder.retrieve(raw)))
    }

    /// The answer to ``Action/update(_:)``; the session ends either way.
    public mutating func updateCompleted(succeeded: Bool) -> Action {
        guard phase == .updating else { return .none }
        phase = .closed
        guard succeeded else { return .sendAndClose(.error("some deleted messages not removed", code: "SYS/TEMP")) }
        return .sendAndClose(.ok("\(configuration.hostname) Mailpen POP3 signing off"))
    }

    /// The TLS handshake after STLS completed: the session is in AUTHORIZATION afresh (RFC 2595 §4).
    public mutating func tlsEstablished() -> Action {
        connection.isTLS = true
        if phase == .startingTLS { phase = .authorization(user: nil) }
        return .none
    }

    /// The client has been silent for ``Configuration/idleTimeout`` seconds: close without a response and
    /// without entering UPDATE (RFC 1939 §3).
    public mutating func idleTimeoutExpired() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .close
    }

    /// The server is shutting down: end the session without applying deletions.
    public mutating func shutdownRequested() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .sendAndClose(.error("server shutting down", code: "SYS/TEMP"))
    }

    // MARK: - Commands

    private mutating func handle(_ command: POP3Command) -> Action {
        switch command {
        case .capabilities:
            return .send(.ok("capability list follows", lines: capabilities))
        case .noop where phase == .transaction:
            return .send(.ok(""))
        case .quit:
            return quit()
        default:
            break
        }
        if case .authorization(let pendingUser) = phase {
            return authorization(command, pendingUser: pendingUser)
        }
        return transaction(command)
    }

    private var capabilities: [String] {
        var lines = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if phase != .transaction {
            if offersSTLSNow { lines.append("STLS") }
            if mayUsePlaintext {
                lines.append("USER")
                lines.append("SASL PLAIN")
            }
        }
        lines.append("IMPLEMENTATION Mailpen")
        return lines
    }

    private mutating func quit() -> Action {
        guard phase == .transaction else {
            phase = .closed
            return .sendAndClose(.ok("\(configuration.hostname) Mailpen POP3 signing off"))
        }
        phase = .updating
        let ids = deleted.sorted().map { messages[$0 - 1].id }
        return .update(POP3Update(messageIDs: ids, mode: configuration.deletionMode))
    }

    private mutating func authorization(_ command: POP3Command, pendingUser: String?) -> Action {
        switch command {
        case .user(let name):
            guard mayUsePlaintext else { return .send(plaintextRefused) }
            phase = .authorization(user: name)
            return .send(.ok("send PASS"))
        case .pass(let password):
            guard let pendingUser else { return .send(.error("send USER first")) }
            guard mayUsePlaintext else { return .send(plaintextRefused) }
            return check(POP3Credentials(username: pendingUser, password: password))
        case .authenticate(let mechanism, let initialResponse):
            phase = .authorization(user: nil)
            guard let mechanism else {
                return .send(.ok("mechanisms follow", lines: mayUsePlaintext ? ["PLAIN"] : []))
            }
            guard mechanism == "PLAIN" else { return .send(.error("unsupported mechanism")) }
            guard mayUsePlaintext else { return .send(plaintextRefused) }
            guard let initialResponse else {
                phase = .awaitingPlainResponse
                return .send(POP3Response(.continuation, ""))
            }
            return decodePlain(initialResponse)
        case .startTLS:
            guard offersSTLSNow else {
                return .send(.error(connection.isTLS ? "TLS already active" : "STLS not available"))
            }
            phase = .startingTLS
            return .startTLS(.ok("begin TLS negotiation"))
        case .apop:
            return .send(.error("APOP not supported"))
        default:
            return .send(.error("not permitted before login"))
        }
    }

    private var plaintextRefused: POP3Response {
        // RFC 3206's AUTH code: a client shows it as a credentials problem rather than retrying blindly.
        .error(
            "plaintext authentication disallowed on an insecure connection" + (offersSTLSNow ? ", use STLS" : ""),
            code: "AUTH")
    }

    private mutating func finishPlain(_ line: some Collection<UInt8>) -> Action {
        phase = .authorization(user: nil)
        guard let text = String(validating: line, as: UTF8.self) else {
            return .send(.error("invalid SASL response"))
        }
        if text == "*" { return .send(.error("authentication cancelled")) }
        return decodePlain(text)
    }

    private mutating func decodePlain(_ response: String) -> Action {
        guard let credentials = POP3SASL.decodePlain(response) else {
            phase = .authorization(user: nil)
            return .send(.error("invalid SASL response"))
        }
        return check(credentials)
    }

    private mutating func check(_ credentials: POP3Credentials) -> Action {
        phase = .checkingCredentials(username: credentials.username)
        return .checkCredentials(credentials)
    }

    private mutating func transaction(_ command: POP3Command) -> Action {
        switch command {
        case .status:
            let live = liveNumbers
            return .send(.ok("\(live.count) \(size(of: live))"))
        case .list(nil):
            let lines = liveNumbers.map { "\($0) \(messages[$0 - 1].size)" }
            return .send(.ok("\(lines.count) messages (\(size(of: liveNumbers)) octets)", lines: lines))
        case .list(let number?):
            guard let message = live(number) else { return .send(noSuchMessage) }
            return .send(.ok("\(number) \(message.size)"))
        case .uniqueIDList(nil):
            return .send(.ok("unique-id listing follows", lines: liveNumbers.map { "\($0) \(messages[$0 - 1].id)" }))
        case .uniqueIDList(let number?):
            guard let message = live(number) else { return .send(noSuchMessage) }
            return .send(.ok("\(number) \(message.id)"))
        case .retrieve(let number):
            guard let message = live(number) else { return .send(noSuchMessage) }
            phase = .loadingMessage(number: number, topLines: nil)
            return .loadMessage(id: message.id)
        case .top(let number, let lines):
            guard let message = live(number) else { return .send(noSuchMessage) }
            phase = .loadingMessage(number: number, topLines: lines)
            return .loadMessage(id: message.id)
        case .delete(let number):
            guard live(number) != nil else { return .send(noSuchMessage) }
            deleted.insert(number)
            return .send(.ok("message \(number) deleted"))
        case .reset:
            deleted = []
            return .send(.ok("maildrop has \(messages.count) messages (\(totalSize) octets)"))
        case .startTLS:
            return .send(.error("STLS only before login"))
        case .user, .pass, .authenticate, .apop:
            return .send(.error("already logged in"))
        case .capabilities, .noop, .quit:
            return .send(.ok(""))  // answered before the state split
        }
    }

    private var noSuchMessage: POP3Response { .error("no such message") }

    /// The message numbered `number` unless it is out of range or marked deleted.
    private func live(_ number: Int) -> POP3MaildropMessage? {
        guard number >= 1, number <= messages.count, !deleted.contains(number) else { return nil }
        return messages[number - 1]
    }

    private var liveNumbers: [Int] {
        messages.indices.map { $0 + 1 }.filter { !deleted.contains($0) }
    }

    private var totalSize: Int { size(of: Array(messages.indices.map { $0 + 1 })) }

    /// The sizes added up, saturating rather than trapping on absurd caller-supplied sizes.
    private func size(of numbers: [Int]) -> Int {
        numbers.reduce(0) { sum, number in
            let (total, overflow) = sum.addingReportingOverflow(max(0, messages[number - 1].size))
            return overflow ? Int.max : total
        }
    }

    // MARK: - Helpers

    /// Counts failed responses and closes the session once a client has made too many mistakes.
    private mutating func countingErrors(_ action: Action) -> Action {
        guard case .send(let response) = action, response.status == .error else { return action }
        errorCount += 1
        guard errorCount >= configuration.maximumErrors else { return action }
        phase = .closed
        return .sendAndClose(.error("too many errors"))
    }
}
