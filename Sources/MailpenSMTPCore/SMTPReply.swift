/// One SMTP reply: a three-digit code, an optional enhanced status code (RFC 3463) and one or more text lines.
///
/// Replies are values so that the session state machine can return them without knowing how they are written.
public struct SMTPReply: Sendable, Hashable {
    /// The three-digit reply code, for example `250`.
    public var code: Int
    /// The enhanced status code (RFC 3463), for example `"2.0.0"`, or `nil` for replies that carry none
    /// (the greeting, EHLO and AUTH challenges).
    public var enhancedCode: String?
    /// The text lines; a reply with several lines is written as a multi-line reply.
    public var lines: [String]

    public init(code: Int, enhancedCode: String? = nil, lines: [String]) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhancedCode: String?, _ text: String) {
        self.init(code: code, enhancedCode: enhancedCode, lines: [text])
    }

    /// Whether the reply reports success (2xx) or an intermediate state (3xx).
    public var isPositive: Bool { code < 400 }

    /// The longest reply line, with its code and CRLF (RFC 5321 §4.5.3.1.5).
    public static let maximumLineLength = 512

    /// The reply as it goes on the wire, each line ending in CRLF. A line that would be longer than
    /// ``maximumLineLength`` (one that echoes a long address back, say) is cut short and ends in "...".
    public var wireFormat: String {
        var result = ""
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? " " : "-"
            result += String(code)
            result += separator
            let prefix = enhancedCode.map { line.isEmpty ? $0 : $0 + " " } ?? ""
            // Code, separator and CRLF take 6 octets; the text is cut only in the rare reply that needs it.
            let room = Self.maximumLineLength - 6
            if prefix.utf8.count + line.utf8.count <= room {
                result += prefix
                result += line
            } else {
                result += Self.cut(prefix + line, toAtMost: room)
            }
            result += "\r\n"
        }
        return result
    }

    /// As much of `text` as fits in `limit` UTF-8 octets with "..." after it, cut between Unicode scalars.
    private static func cut(_ text: String, toAtMost limit: Int) -> String {
        var kept = String.UnicodeScalarView()
        var length = 0
        for scalar in text.unicodeScalars {
            let width = UTF8.width(scalar)
            guard length + width <= limit - 3 else { break }
            kept.append(scalar)
            length += width
        }
        return String(kept) + "..."
    }
}

extension SMTPReply {
    static let ok = SMTPReply(250, "2.0.0", "Ok")
    static let startMailInput = SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>")
    static let badSequence = SMTPReply(503, "5.5.1", "Error: bad sequence of commands")
    static let heloFirst = SMTPReply(503, "5.5.1", "Error: send HELO/EHLO first")
    static let needMail = SMTPReply(503, "5.5.1", "Error: need MAIL command")
    static let needRecipient = SMTPReply(503, "5.5.1", "Error: need RCPT command")
    static let nestedMail = SMTPReply(503, "5.5.1", "Error: nested MAIL command")
    static let unrecognized = SMTPReply(500, "5.5.2", "Error: command not recognized")
    static let lineTooLong = SMTPReply(500, "5.5.6", "Error: line too long")
    static let messageTooBig = SMTPReply(552, "5.3.4", "Error: message size exceeds fixed limit")
    static let tooManyRecipients = SMTPReply(452, "4.5.3", "Error: too many recipients")
    static let authenticationFailed = SMTPReply(535, "5.7.8", "Error: authentication credentials invalid")
    static let authenticationSucceeded = SMTPReply(235, "2.7.0", "Authentication successful")
    static let authenticationCancelled = SMTPReply(501, "5.7.0", "Authentication cancelled")
    static let cannotDecodeResponse = SMTPReply(501, "5.5.2", "Error: cannot decode response")
    static let tooManyErrors = SMTPReply(421, "4.7.0", "Error: too many errors, closing connection")
    static let tooManyConnections = SMTPReply(421, "4.7.0", "Error: too many connections, try again later")
    static let shuttingDown = SMTPReply(421, "4.3.2", "Service shutting down, closing connection")
    static let timeout = SMTPReply(421, "4.4.2", "Error: timeout exceeded, closing connection")
    public static let storageFailure = SMTPReply(451, "4.3.0", "Error: could not store message, try again later")
    static let bye = SMTPReply(221, "2.0.0", "Bye")

    static func syntax(_ text: String) -> SMTPReply {
        SMTPReply(501, "5.5.4", "Syntax: \(text)")
    }

    static func unknownParameter(_ keyword: String) -> SMTPReply {
        SMTPReply(555, "5.5.4", "Error: unsupported parameter \(keyword)")
    }

    static func queued(as id: String) -> SMTPReply {
        SMTPReply(250, "2.0.0", "Ok: queued as \(id)")
    }
}
