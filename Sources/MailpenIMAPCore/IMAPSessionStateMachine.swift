import MailpenSASL

/// The IMAP4rev1 server protocol of one connection (RFC 3501 with IDLE, UIDPLUS's UID EXPUNGE, LITERAL+,
/// SASL-IR, ENABLE, ID, NAMESPACE and UNSELECT) over one mailbox, `INBOX`, as a pure state machine: it
/// takes complete commands (``IMAPSessionInput`` frames them, literals included) and what the caller
/// decided or loaded, and answers with an ``Action``. It owns no socket, clock or storage.
///
/// Every ``Action`` is: write ``Action/output`` (if any), then carry out ``Action/request`` (if any) and
/// report back. The caller (a thin NIO handler) does this for each request:
/// - ``Request/close``: close the connection after the output is flushed.
/// - ``Request/startTLS``: drop input already buffered (RFC 3501 §6.2.1), run the TLS handshake, call
///   ``tlsEstablished()`` (or close when it fails).
/// - ``Request/checkCredentials(_:)``: check them, call ``credentialsChecked(accepted:)`` (or
///   ``credentialsCouldNotBeChecked()``).
/// - ``Request/loadMailbox(username:)``: list the user's inbox (for SELECT, EXAMINE and STATUS), call
///   ``mailboxLoaded(_:)`` with nil when it cannot be read. While a mailbox is selected, feed the store's
///   changes to ``mailboxChanged(_:)`` — at any time, even while a request is pending — and write the
///   output of the action it returns (untagged updates during IDLE).
/// - ``Request/loadMessages(ids:)``: read those messages' raw bytes, call ``messagesLoaded(_:)`` (ids
///   that have gone are left out). Large fetches and searches ask in batches.
/// - ``Request/searchMailbox(username:queries:)``: run each query (Mailpen's search grammar) over the user's
///   inbox, call ``mailboxSearched(_:)`` with the ids of each query's matches (or nil when the store cannot
///   answer).
/// - ``Request/setRead(ids:isRead:)``: set Mailpen's read flag of those messages, call
///   ``readFlagsStored(succeeded:)``.
/// - ``Request/deleteMessages(ids:)``: delete those messages from the inbox, call
///   ``messagesDeleted(succeeded:)``.
/// Call ``connectionOpened()`` first; restart an idle timer of ``Configuration/idleTimeout`` seconds on
/// every input and call ``idleTimeoutExpired()`` when it fires; on server shutdown call
/// ``shutdownRequested()``.
///
/// Flags: `\Seen` is Mailpen's read flag. `\Deleted` lives in the session until EXPUNGE, UID EXPUNGE or
/// CLOSE turn it into a deletion. `\Answered`, `\Flagged`, `\Draft` and keywords live in the session only
/// (PERMANENTFLAGS says so), because Mailpen stores no such flags; keywords the caller lists (its tags)
/// are shown. Mailpen has no `\Recent` messages.
public struct IMAPSessionStateMachine: Sendable {
    /// Settings that shape the session's replies and limits.
    public struct Configuration: Sendable {
        /// The name in the greeting.
        public var hostname: String
        /// Whether STARTTLS is offered (a certificate is configured).
        public var offersStartTLS: Bool
        /// Whether LOGIN and AUTHENTICATE PLAIN may be used on a connection that is neither TLS nor loopback.
        public var allowsPlaintextAuthentication: Bool
        /// The longest line of a command (without CRLF; literals do not count).
        public var maximumLineLength: Int
        /// The largest literal a client may send (APPEND is refused anyway, so literals are small).
        public var maximumLiteralSize: Int
        /// The largest command: its lines and literals together.
        public var maximumCommandSize: Int
        /// Commands answered with BAD after which the connection is closed.
        public var maximumErrors: Int
        /// Seconds of client silence after which the caller calls ``idleTimeoutExpired()`` (RFC 3501 §5.4
        /// asks for at least 30 minutes; IDLE clients re-issue IDLE well within that).
        public var idleTimeout: Int
        /// Messages asked for at once by FETCH and SEARCH.
        public var fetchBatchSize: Int
        /// About how many bytes of messages one step of a FETCH loads and answers (one message at least): a
        /// step's answer is built whole before it is sent.
        public var fetchStepBytes: Int
        /// Parsed messages kept between commands (clients fetch a message's structure, then its parts).
        public var cachedMessages: Int

        public init(
            hostname: String = "localhost",
            offersStartTLS: Bool = false,
            allowsPlaintextAuthentication: Bool = false,
            maximumLineLength: Int = 8192,
            maximumLiteralSize: Int = 65536,
            maximumCommandSize: Int = 131_072,
            maximumErrors: Int = 20,
            idleTimeout: Int = 1800,
            fetchBatchSize: Int = 32,
            fetchStepBytes: Int = 32 * 1024 * 1024,
            cachedMessages: Int = 16
        ) {
            self.hostname = hostname
            self.offersStartTLS = offersStartTLS
            self.allowsPlaintextAuthentication = allowsPlaintextAuthentication
            self.maximumLineLength = maximumLineLength
            self.maximumLiteralSize = maximumLiteralSize
            self.maximumCommandSize = maximumCommandSize
            self.maximumErrors = maximumErrors
            self.idleTimeout = idleTimeout
            self.fetchBatchSize = max(1, fetchBatchSize)
            self.fetchStepBytes = max(1, fetchStepBytes)
            self.cachedMessages = max(0, cachedMessages)
        }
    }

    /// Facts about the connection that decide whether a password may be sent over it.
    public typealias Connection = LoginConnection

    /// How the caller must frame the next input (``IMAPSessionInput`` follows it).
    public enum InputMode: Sendable, Hashable {
        /// Commands, with literals, fed whole to ``receive(command:)``.
        case command
        /// One CRLF-terminated line (a SASL response, or DONE ending IDLE), fed to ``receive(line:)``.
        case line
        /// No input is taken now (what arrives waits): a request is pending.
        case suspended
        case closed
    }

    /// Output to write, then a request to carry out; see the type's documentation.
    public struct Action: Sendable, Hashable {
        public var output: IMAPResponse?
        public var request: Request?

        public init(output: IMAPResponse? = nil, request: Request? = nil) {
            self.output = output
            self.request = request
        }

        public static let none = Action()
    }

    /// Work the caller does on the session's behalf; see the type's documentation.
    public enum Request: Sendable, Hashable {
        case close
        case startTLS
        case checkCredentials(IMAPCredentials)
        case loadMailbox(username: String)
        case loadMessages(ids: [String])
        /// SEARCH keys the store answers from its indexes: queries in the search grammar over the inbox.
        case searchMailbox(username: String, queries: [String])
        case setRead(ids: [String], isRead: Bool)
        case deleteMessages(ids: [String])
    }

    enum Phase: Sendable {
        case notAuthenticated
        case authenticated
        case selected
        case closed
    }

    enum MailboxPurpose: Sendable {
        case select(readOnly: Bool)
        case status([IMAPStatusAttribute])
    }

    /// What the session waits for.
    enum Waiting: Sendable {
        case nothing
        case greeting
        case plainResponse(tag: String)
        case credentials(tag: String, username: String)
        case tls
        case mailbox(tag: String, MailboxPurpose)
        case fetch(FetchWork)
        case storeSearch(SearchWork)
        case search(SearchWork)
        /// `completion` is the tagged OK's text, or the tagged NO's with `fails`.
        case readFlags(tag: String, completion: String, output: [UInt8], fails: Bool = false)
        case deletion(tag: String, ids: Set<String>, reportsExpunges: Bool, closes: Bool)
        case idle(tag: String)
    }

    /// The selected mailbox as this session shows it.
    struct Selection: Sendable {
        var readOnly: Bool
        var uidValidity: UInt32
        var uidNext: UInt32
        var messages: [IMAPSessionMessage]
        /// The message count the client knows (EXISTS minus EXPUNGEs sent since).
        var knownCount: Int
        /// Whether a message is marked gone, or has flags the client has not been told of: without, the
        /// updates skip reading every message (for every session, on every change to the inbox).
        var hasGone = false
        var hasChangedFlags = false
        /// Each message's UID by id: the store names changed messages by id, and finding each by a scan
        /// would read every message, for every session on the inbox, on every change.
        private var uidsByID: [String: UInt32]

        init(readOnly: Bool, uidValidity: UInt32, uidNext: UInt32, messages: [IMAPSessionMessage]) {
            self.readOnly = readOnly
            self.uidValidity = uidValidity
            self.uidNext = uidNext
            self.messages = messages
            self.knownCount = messages.count
            self.uidsByID = Dictionary(
                messages.map { ($0.info.id, $0.info.uid) }, uniquingKeysWith: { first, _ in first })
        }

        var largestUID: UInt32 { messages.last?.info.uid ?? 0 }

        /// Adds a message whose UID is above every other's.
        mutating func append(_ message: IMAPSessionMessage) {
            messages.append(message)
            if uidsByID[message.info.id] == nil { uidsByID[message.info.id] = message.info.uid }
        }

        /// Removes the message at `index`.
        mutating func remove(at index: Int) {
            let removed = messages.remove(at: index)
            if uidsByID[removed.info.id] == removed.info.uid { uidsByID[removed.info.id] = nil }
        }

        /// The index of the message with the store id `id`.
        func index(ofID id: String) -> Int? {
            uidsByID[id].flatMap(index(ofUID:))
        }

        /// The index of the message with `uid`, by binary search (messages are in UID order).
        func index(ofUID uid: UInt32) -> Int? {
            var low = 0
            var high = messages.count
            while low < high {
                let middle = (low + high) / 2
                if messages[middle].info.uid < uid { low = middle + 1 } else { high = middle }
            }
            return low < messages.count && messages[low].info.uid == uid ? low : nil
        }
    }

    public let configuration: Configuration
    public private(set) var connection: Connection
    /// The user who logged in, once authenticated.
    public private(set) var username: String?
    var phase: Phase = .notAuthenticated
    var waiting: Waiting = .greeting
    var selection: Selection?
    var cache = IMAPMessageCache(capacity: 0)
    var errorCount = 0

    public init(configuration: Configuration, connection: Connection) {
        self.configuration = configuration
        self.connection = connection
        cache = IMAPMessageCache(capacity: configuration.cachedMessages)
    }

    public var inputMode: InputMode {
        if case .closed = phase { return .closed }
        switch waiting {
        case .nothing: return .command
        case .plainResponse, .idle: return .line
        default: return .suspended
        }
    }

    var mayUsePlaintext: Bool {
        configuration.allowsPlaintextAuthentication || connection.isTLS || connection.isLoopback
    }

    var offersStartTLSNow: Bool { configuration.offersStartTLS && !connection.isTLS }

    var capabilities: String {
        var names = [
            "IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "UNSELECT", "CHILDREN",
        ]
        if case .notAuthenticated = phase {
            if offersStartTLSNow { names.append("STARTTLS") }
            names.append(mayUsePlaintext ? "AUTH=PLAIN" : "LOGINDISABLED")
        }
        return names.joined(separator: " ")
    }

    // MARK: - Events from the connection

    /// The connection is open: greet.
    public mutating func connectionOpened() -> Action {
        guard case .greeting = waiting, case .notAuthenticated = phase else { return .none }
        waiting = .nothing
        return respond { $0.untagged("OK [CAPABILITY \(capabilities)] \(configuration.hostname) Mailpen IMAP ready") }
    }

    /// A complete command in ``InputMode/command`` mode: its bytes without the final CRLF.
    public mutating func receive(command bytes: [UInt8]) -> Action {
        guard case .nothing = waiting, inputMode == .command else { return .none }
        do {
            let command = try IMAPCommandParser.parse(bytes)
            return handle(command)
        } catch {
            return bad(tag: error.tag, error.reason)
        }
    }

    /// A line in ``InputMode/line`` mode: a SASL response or the DONE that ends IDLE.
    public mutating func receive(line: some Collection<UInt8>) -> Action {
        switch waiting {
        case .plainResponse(let tag):
            waiting = .nothing
            let text = String(decoding: line, as: UTF8.self)
            if text == "*" { return bad(tag: tag, "authentication cancelled") }
            return authenticatePlain(tag: tag, response: text)
        case .idle(let tag):
            waiting = .nothing
            let isDone = line.count == 4 && String(decoding: line, as: UTF8.self).uppercased() == "DONE"
            guard isDone else { return bad(tag: tag, "expected DONE") }
            return complete(tag, "IDLE terminated", expunges: true)
        default:
            return .none
        }
    }

    /// A command line longer than ``Configuration/maximumLineLength``, or a command larger than
    /// ``Configuration/maximumCommandSize``, was dropped; `tag` is its tag when it could be read.
    public mutating func receiveOverlongCommand(tag: String?) -> Action {
        switch waiting {
        case .plainResponse(let pendingTag):
            waiting = .nothing
            return bad(tag: pendingTag, "line too long")
        case .idle(let pendingTag):
            waiting = .nothing
            return bad(tag: pendingTag, "line too long")
        case .nothing:
            return bad(tag: tag, "command too long")
        default:
            return .none
        }
    }

    /// A literal `{size}` or `{size+}` ends a command line; `prefix` is the command so far. Says whether to
    /// read the literal and what to send: a `+` continuation for a synchronizing literal that is welcome,
    /// nothing for a welcome non-synchronizing one, a tagged refusal otherwise (APPEND, or too large).
    /// A refused synchronizing literal ends the command (the client will not send it); a refused
    /// non-synchronizing literal is read and dropped with the rest of its command, and then the refusal
    /// is sent.
    public func literalAnnounced(prefix: [UInt8], size: Int, synchronizing: Bool) -> (accept: Bool, action: Action) {
        guard case .nothing = waiting else { return (false, .none) }
        let tag = IMAPCommandParser.tag(of: prefix)
        var words = IMAPParseBuffer(prefix)
        _ = try? words.tag()
        _ = words.take(" ")
        let keyword = (try? words.atom())?.uppercased()
        let refusal: String?
        if keyword == "APPEND" {
            refusal = "NO [CANNOT] APPEND is not supported: Mailpen's inboxes fill only by SMTP"
        } else if size > configuration.maximumLiteralSize
            || prefix.count + size > configuration.maximumCommandSize
        {
            refusal = "BAD literal too large"
        } else {
            refusal = nil
        }
        if let refusal {
            var writer = IMAPWriter()
            writer.raw((tag ?? "*") + " " + refusal)
            writer.crlf()
            return (false, Action(output: IMAPResponse(bytes: writer.bytes)))
        }
        guard synchronizing else { return (true, .none) }
        return (
            true,
            respond {
                $0.raw("+ Ready for literal data")
                $0.crlf()
            }
        )
    }

    /// The answer to ``Request/checkCredentials(_:)``.
    public mutating func credentialsChecked(accepted: Bool) -> Action {
        guard case .credentials(let tag, let name) = waiting else { return .none }
        waiting = .nothing
        guard accepted else {
            return respond { $0.tagged(tag, .no, "[AUTHENTICATIONFAILED] Authentication failed") }
        }
        username = name
        phase = .authenticated
        return respond { $0.tagged(tag, .ok, "[CAPABILITY \(capabilities)] Logged in") }
    }

    /// The credentials could not be checked now (the store is unreachable): RFC 5530's `UNAVAILABLE`, a
    /// temporary failure, not a wrong password.
    public mutating func credentialsCouldNotBeChecked() -> Action {
        guard case .credentials(let tag, _) = waiting else { return .none }
        waiting = .nothing
        return respond { $0.tagged(tag, .no, "[UNAVAILABLE] Cannot check credentials now, try again later") }
    }

    /// The TLS handshake after STARTTLS completed.
    public mutating func tlsEstablished() -> Action {
        connection.isTLS = true
        if case .tls = waiting { waiting = .nothing }
        return .none
    }

    /// The client was silent for ``Configuration/idleTimeout`` seconds (the autologout timer).
    public mutating func idleTimeoutExpired() -> Action {
        closing("BYE Autologout; idle for too long")
    }

    /// The server is shutting down.
    public mutating func shutdownRequested() -> Action {
        closing("BYE Server shutting down")
    }

    private mutating func closing(_ text: String) -> Action {
        if case .closed = phase { return .none }
        phase = .closed
        waiting = .nothing
        selection = nil
        var writer = IMAPWriter()
        writer.untagged(text)
        return Action(output: IMAPResponse(bytes: writer.bytes), request: .close)
    }

    // MARK: - Helpers

    /// An action that only writes what `build` writes.
    func respond(_ build: (inout IMAPWriter) -> Void) -> Action {
        var writer = IMAPWriter()
        build(&writer)
        return Action(output: IMAPResponse(bytes: writer.bytes))
    }

    /// A BAD response; too many of them close the connection.
    mutating func bad(tag: String?, _ reason: String) -> Action {
        errorCount += 1
        // A response line carries no control characters, whatever a reason says.
        let reason = String(
            String.UnicodeScalarView(reason.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        var writer = IMAPWriter()
        if let tag { writer.tagged(tag, .bad, reason) } else { writer.untagged("BAD " + reason) }
        guard errorCount >= configuration.maximumErrors else {
            return Action(output: IMAPResponse(bytes: writer.bytes))
        }
        phase = .closed
        waiting = .nothing
        writer.untagged("BYE Too many invalid commands")
        return Action(output: IMAPResponse(bytes: writer.bytes), request: .close)
    }

    /// Pending mailbox updates, then the tagged OK.
    mutating func complete(_ tag: String, _ text: String, expunges: Bool, before output: [UInt8] = []) -> Action {
        var writer = IMAPWriter()
        writer.raw(output)
        flushUpdates(into: &writer, expunges: expunges)
        writer.tagged(tag, .ok, text)
        return Action(output: IMAPResponse(bytes: writer.bytes))
    }

    /// Pending mailbox updates, then a tagged NO. FETCH, STORE and SEARCH by sequence number pass
    /// `expunges: false`: not even their failures may carry an EXPUNGE (RFC 3501 §7.4.1).
    mutating func no(_ tag: String, _ text: String, expunges: Bool = true, before output: [UInt8] = []) -> Action {
        var writer = IMAPWriter()
        writer.raw(output)
        flushUpdates(into: &writer, expunges: expunges)
        writer.tagged(tag, .no, text)
        return Action(output: IMAPResponse(bytes: writer.bytes))
    }
}

/// The parsed messages a session keeps between commands, least recently used dropped first.
struct IMAPMessageCache: Sendable {
    let capacity: Int
    private var entries: [(id: String, content: IMAPMessageContent)] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func content(for id: String) -> IMAPMessageContent? {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return nil }
        let entry = entries.remove(at: index)
        entries.append(entry)
        return entry.content
    }

    mutating func insert(_ content: IMAPMessageContent, for id: String) {
        guard capacity > 0 else { return }
        entries.removeAll { $0.id == id }
        entries.append((id, content))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    mutating func removeAll() { entries.removeAll() }
}
