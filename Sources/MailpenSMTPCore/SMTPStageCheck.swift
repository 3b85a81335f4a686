/// The points of a session where the machine, when asked to (``SMTPSessionStateMachine/Configuration/consultsAtStages``),
/// stops to let its driver interfere before it answers: to refuse, to delay or to hang up, as a test server
/// that plays a failing mail server does.
public enum SMTPStage: String, Sendable, Hashable, CaseIterable {
    /// The connection opened; the greeting is next.
    case connect
    /// HELO or EHLO was accepted; its reply is next.
    case ehlo
    /// AUTH gave credentials; checking them is next.
    case auth
    /// MAIL FROM was accepted; its reply is next.
    case mail
    /// RCPT TO was accepted; its reply is next.
    case rcpt
    /// DATA was accepted; the 354 is next.
    case data
    /// A BDAT chunk was announced; reading it is next.
    case bdat
    /// The message was read in full; delivering it is next.
    case message
}

/// What the machine knows at a stage, for the driver to decide on.
public struct SMTPStageCheck: Sendable, Hashable {
    public var stage: SMTPStage
    /// MAIL FROM's reverse path (at `mail`, the one being given); `nil` before.
    public var mailFrom: String?
    /// The recipients so far; at `rcpt`, with the one being given last.
    public var recipients: [String]
    /// The username the client authenticated as, or, at `auth`, the one it gives.
    public var username: String?
    /// The session as it stands.
    public var session: SMTPSessionInfo

    public init(
        stage: SMTPStage, mailFrom: String? = nil, recipients: [String] = [], username: String? = nil,
        session: SMTPSessionInfo = SMTPSessionInfo()
    ) {
        self.stage = stage
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.username = username
        self.session = session
    }
}

/// The driver's answer to ``SMTPSessionStateMachine/Action/consult(_:)``.
public enum SMTPStageVerdict: Sendable, Hashable {
    /// Go on as usual.
    case proceed
    /// Answer with this failure instead (4xx or 5xx): the command is refused, and at `connect` the
    /// connection is closed after it; at `message` and `bdat` the transaction is abandoned.
    case refuse(SMTPReply)
    /// Close the connection without a reply. At `data` the 354 is sent first and the connection is dropped
    /// half-way through the message (half its declared SIZE, or half of what arrives first); at `bdat`
    /// half-way through the chunk. Nothing of the transaction is delivered.
    case disconnect
}
