/// A command a client sends in the command phase of an SMTP session (RFC 5321 §4.1 and extensions).
///
/// Commands are parsed from a single line by ``SMTPCommandParser`` and interpreted by
/// ``SMTPSessionStateMachine``; neither step knows about sockets.
public enum SMTPCommand: Sendable, Hashable {
    /// `HELO domain`.
    case hello(domain: String)
    /// `EHLO domain`.
    case extendedHello(domain: String)
    /// `MAIL FROM:<reverse-path> [parameters]`; an empty path is the null sender `<>`.
    case mail(reversePath: String, parameters: [SMTPParameter])
    /// `RCPT TO:<forward-path> [parameters]`.
    case recipient(forwardPath: String, parameters: [SMTPParameter])
    /// `DATA`.
    case data
    /// `BDAT size [LAST]` (RFC 3030 CHUNKING).
    case binaryData(size: Int, isLast: Bool)
    /// `RSET`.
    case reset
    /// `NOOP [string]`.
    case noop
    /// `QUIT`.
    case quit
    /// `HELP [topic]`.
    case help(topic: String?)
    /// `VRFY string`.
    case verify(String)
    /// `EXPN string`.
    case expand(String)
    /// `STARTTLS` (RFC 3207).
    case startTLS
    /// `AUTH mechanism [initial-response]` (RFC 4954); an initial response of `=` is the empty response.
    case authenticate(mechanism: String, initialResponse: String?)
}

/// An ESMTP parameter of MAIL or RCPT (`KEYWORD[=value]`), keyword upper-cased, value as sent.
public struct SMTPParameter: Sendable, Hashable, Codable {
    public var keyword: String
    public var value: String?

    public init(keyword: String, value: String? = nil) {
        self.keyword = keyword
        self.value = value
    }
}

/// The reason a command line could not be parsed, carrying the reply the client gets.
public struct SMTPCommandError: Error, Sendable, Hashable {
    public var reply: SMTPReply
    /// The octets of a BDAT chunk that follow this malformed command, when its size could be read: they
    /// are the client's data, not its next commands.
    public var chunkSize: Int?

    public init(_ reply: SMTPReply, chunkSize: Int? = nil) {
        self.reply = reply
        self.chunkSize = chunkSize
    }
}
