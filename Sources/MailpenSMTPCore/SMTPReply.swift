/// One SMTP reply: a three-digit code, an optional enhanced status code (RFC 3463) and one or more text lines.
///
/// Replies are values so that the session state machine can return them without knowing how they are written.
/// Every reply Mailpen sends is listed in the catalog (`SMTPReply+Catalog.swift`).
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
