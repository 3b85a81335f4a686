/// Every reply Mailpen's SMTP server can send, grouped by meaning.
///
/// The command parser, the session state machine and the server's host (refusing a delivery) all take their
/// replies from here, so that each reply's code, enhanced status code (RFC 3463) and wording are written
/// once and can be reviewed side by side.
extension SMTPReply {
    // MARK: - Session

    /// The greeting when a connection opens.
    public static func greeting(hostname: String) -> SMTPReply {
        SMTPReply(220, nil, "\(hostname) ESMTP Mailpen")
    }

    /// The answer to HELO.
    public static func hello(hostname: String) -> SMTPReply {
        SMTPReply(250, nil, hostname)
    }

    /// The answer to EHLO: a greeting line, then one line per extension Mailpen supports.
    public static func extendedHello(
        hostname: String, clientDomain: String, maximumMessageSize: Int, offersStartTLS: Bool
    ) -> SMTPReply {
        var lines = [
            "\(hostname) Hello \(clientDomain)",
            "PIPELINING",
            "SIZE \(maximumMessageSize)",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        ]
        if offersStartTLS { lines.append("STARTTLS") }
        lines.append("AUTH " + SMTPAuthenticationMachine.mechanisms.joined(separator: " "))
        lines.append("HELP")
        return SMTPReply(code: 250, enhancedCode: nil, lines: lines)
    }

    /// The answer to HELP; `webURL` is where the captured mail can be read, if there is such a place.
    public static func help(webURL: String?) -> SMTPReply {
        var lines = [
            "Mailpen captures every message it is sent and relays none.",
            "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY EXPN STARTTLS AUTH",
        ]
        if let webURL { lines.append("See \(webURL) for the captured mail") }
        return SMTPReply(code: 214, enhancedCode: "2.0.0", lines: lines)
    }

    /// The answer to NOOP and RSET.
    public static let ok = SMTPReply(250, "2.0.0", "Ok")
    /// The answer to VRFY: Mailpen takes mail for any address, so it neither confirms nor denies one.
    public static let cannotVerify = SMTPReply(
        252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
    /// The answer to QUIT.
    public static let bye = SMTPReply(221, "2.0.0", "Bye")

    // MARK: - Mail transaction

    /// MAIL FROM was accepted.
    public static let senderAccepted = SMTPReply(250, "2.1.0", "Ok")
    /// RCPT TO was accepted.
    public static let recipientAccepted = SMTPReply(250, "2.1.5", "Ok")
    /// DATA was accepted: the message follows.
    public static let startMailInput = SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>")
    /// A BDAT chunk other than the last was received.
    public static func chunkReceived(octets: Int) -> SMTPReply {
        SMTPReply(250, "2.0.0", "Ok: \(octets) octets received")
    }
    /// The message was stored under `id`.
    public static func queued(as id: String) -> SMTPReply {
        SMTPReply(250, "2.0.0", "Ok: queued as \(id)")
    }

    // MARK: - Delivery refused by the host

    /// The message could not be stored for a reason that may pass: the client should try again later.
    public static let storageFailure = SMTPReply(451, "4.3.0", "Error: could not store message, try again later")
    /// The inbox the message was meant for (the authenticated user's) does not exist.
    public static func inboxDoesNotExist(_ name: String) -> SMTPReply {
        SMTPReply(550, "5.1.1", "Error: inbox \(name) does not exist")
    }

    // MARK: - Limits

    /// The message (or its announced SIZE) is larger than the configured maximum.
    public static let messageTooBig = SMTPReply(552, "5.3.4", "Error: message size exceeds fixed limit")
    /// The transaction already has the maximum number of recipients.
    public static let tooManyRecipients = SMTPReply(452, "4.5.3", "Error: too many recipients")
    /// A command line or AUTH response longer than the configured maximum.
    public static let lineTooLong = SMTPReply(500, "5.5.6", "Error: line too long")

    // MARK: - Commands out of sequence

    /// A command that is valid but not now (BDAT after DATA, STARTTLS in a transaction).
    public static let badSequence = SMTPReply(503, "5.5.1", "Error: bad sequence of commands")
    /// MAIL, RCPT, DATA or BDAT before HELO or EHLO.
    public static let heloFirst = SMTPReply(503, "5.5.1", "Error: send HELO/EHLO first")
    /// RCPT, DATA or BDAT without MAIL.
    public static let needMail = SMTPReply(503, "5.5.1", "Error: need MAIL command")
    /// DATA or BDAT without RCPT.
    public static let needRecipient = SMTPReply(503, "5.5.1", "Error: need RCPT command")
    /// MAIL inside a transaction.
    public static let nestedMail = SMTPReply(503, "5.5.1", "Error: nested MAIL command")
    /// AUTH before EHLO (AUTH is an ESMTP extension).
    public static let extendedHelloFirst = SMTPReply(503, "5.5.1", "Error: send EHLO first")
    /// AUTH in a session that has authenticated already.
    public static let alreadyAuthenticated = SMTPReply(503, "5.5.1", "Error: already authenticated")
    /// AUTH inside a mail transaction.
    public static let authenticationInTransaction = SMTPReply(
        503, "5.5.1", "Error: AUTH not permitted during a mail transaction")
    /// STARTTLS in a session that runs over TLS already.
    public static let tlsAlreadyActive = SMTPReply(503, "5.5.1", "Error: TLS already active")

    // MARK: - Syntax

    /// A verb Mailpen does not know.
    public static let unrecognized = SMTPReply(500, "5.5.2", "Error: command not recognized")
    /// A command line with control characters.
    public static let invalidCharacters = SMTPReply(500, "5.5.2", "Error: command contains invalid characters")
    /// A command line that is not UTF-8.
    public static let invalidUTF8 = SMTPReply(500, "5.5.2", "Error: command is not valid UTF-8")
    /// A command with malformed arguments; `usage` says what was expected.
    public static func syntax(_ usage: String) -> SMTPReply {
        SMTPReply(501, "5.5.4", "Syntax: \(usage)")
    }
    /// A MAIL or RCPT path that is not a mailbox.
    public static func badAddress(_ path: some StringProtocol) -> SMTPReply {
        SMTPReply(501, "5.1.3", "Error: bad address syntax <\(path)>")
    }
    /// A MAIL or RCPT parameter of an extension Mailpen does not support.
    public static func unknownParameter(_ keyword: String) -> SMTPReply {
        SMTPReply(555, "5.5.4", "Error: unsupported parameter \(keyword)")
    }

    // MARK: - Features not offered

    /// EXPN: Mailpen has no mailing lists to expand.
    public static let expandNotSupported = SMTPReply(502, "5.5.1", "Error: EXPN not supported")
    /// STARTTLS on a server without a certificate.
    public static let startTLSNotAvailable = SMTPReply(502, "5.5.1", "Error: STARTTLS not available")
    /// AUTH with a mechanism other than those in the EHLO reply.
    public static func unsupportedMechanism(_ mechanism: String) -> SMTPReply {
        SMTPReply(504, "5.5.4", "Error: unsupported authentication mechanism \(mechanism)")
    }

    // MARK: - TLS

    /// STARTTLS was accepted: the handshake follows.
    public static let readyToStartTLS = SMTPReply(220, "2.0.0", "Ready to start TLS")

    // MARK: - Authentication

    /// A SASL challenge (RFC 4954), already base64-encoded; it carries no enhanced code.
    public static func challenge(_ base64: String) -> SMTPReply {
        SMTPReply(334, nil, base64)
    }
    public static let authenticationSucceeded = SMTPReply(235, "2.7.0", "Authentication successful")
    public static let authenticationFailed = SMTPReply(535, "5.7.8", "Error: authentication credentials invalid")
    /// The credentials could not be checked now (RFC 4954 §6): the client should try again later.
    public static let authenticationUnavailable = SMTPReply(454, "4.7.0", "Temporary authentication failure")
    /// The client answered a challenge with `*`.
    public static let authenticationCancelled = SMTPReply(501, "5.7.0", "Authentication cancelled")
    /// A SASL response that is not base64, not UTF-8 or not shaped as the mechanism requires.
    public static let cannotDecodeResponse = SMTPReply(501, "5.5.2", "Error: cannot decode response")

    // MARK: - Closing the connection

    /// The client made too many mistakes.
    public static let tooManyErrors = SMTPReply(421, "4.7.0", "Error: too many errors, closing connection")
    /// The server is at its connection limit.
    public static let tooManyConnections = SMTPReply(421, "4.7.0", "Error: too many connections, try again later")
    /// The server is shutting down.
    public static let shuttingDown = SMTPReply(421, "4.3.2", "Service shutting down, closing connection")
    /// The client was silent for longer than the idle timeout.
    public static let timeout = SMTPReply(421, "4.4.2", "Error: timeout exceeded, closing connection")
}
