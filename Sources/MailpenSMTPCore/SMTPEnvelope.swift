/// Everything known about how a message arrived, apart from its bytes: the SMTP envelope
/// (MAIL FROM and RCPT TO with their parameters) and the session it came in on.
///
/// The store keeps it beside the raw message so that users can see what their client really sent.
public struct SMTPEnvelope: Sendable, Hashable, Codable {
    /// The reverse-path of MAIL FROM without angle brackets; empty for the null sender `<>`.
    public var mailFrom: String
    /// The MAIL FROM parameters as sent (SIZE, BODY, SMTPUTF8, AUTH, RET, ENVID).
    public var mailParameters: [SMTPParameter]
    /// Every accepted RCPT TO, in order.
    public var recipients: [SMTPRecipient]
    /// The session the transaction ran in.
    public var session: SMTPSessionInfo

    public init(
        mailFrom: String,
        mailParameters: [SMTPParameter] = [],
        recipients: [SMTPRecipient] = [],
        session: SMTPSessionInfo = SMTPSessionInfo()
    ) {
        self.mailFrom = mailFrom
        self.mailParameters = mailParameters
        self.recipients = recipients
        self.session = session
    }
}

/// One accepted RCPT TO with its parameters (NOTIFY, ORCPT).
public struct SMTPRecipient: Sendable, Hashable, Codable {
    public var address: String
    public var parameters: [SMTPParameter]

    public init(address: String, parameters: [SMTPParameter] = []) {
        self.address = address
        self.parameters = parameters
    }
}

/// Facts about an SMTP session that the envelope of each of its messages records.
public struct SMTPSessionInfo: Sendable, Hashable, Codable {
    /// The name the client gave in HELO or EHLO.
    public var heloName: String?
    /// Whether the client greeted with EHLO (`true`) or HELO (`false`).
    public var usedExtendedHello = false
    /// The client's IP address.
    public var clientAddress: String?
    /// The client's TCP port.
    public var clientPort: Int?
    /// The negotiated TLS version (for example `TLSv1.3`), or `nil` for a plain-text session.
    public var tlsVersion: String?
    /// The username the client authenticated as, or `nil` when it did not authenticate.
    public var authenticatedUser: String?

    /// A session the client has told nothing yet; the state machine fills it in as the session goes on.
    public init() {}
}

/// A finished SMTP transaction: the envelope and the message exactly as received after dot-unstuffing.
public struct SMTPTransaction: Sendable {
    public var envelope: SMTPEnvelope
    public var message: [UInt8]

    public init(envelope: SMTPEnvelope, message: [UInt8]) {
        self.envelope = envelope
        self.message = message
    }
}
