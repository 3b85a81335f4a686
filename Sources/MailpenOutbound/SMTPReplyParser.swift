/// Cuts the bytes an SMTP server sends into replies (RFC 5321 §4.2), multi-line replies included.
///
/// It is incremental, so replies may arrive split across reads or several in one read (pipelining), and
/// bounded: a line or a reply over the limits is an error, not a growing buffer.
public struct SMTPReplyParser: Sendable {
    /// Why the server's bytes are not an SMTP reply.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// A line that does not start with a three-digit code followed by a space, a hyphen or the line end.
        case malformedLine(String)
        /// A continuation line whose code differs from the first line's.
        case inconsistentCode(expected: Int, found: Int)
        /// A line longer than ``maximumLineLength`` octets.
        case lineTooLong
        /// A multi-line reply with more than ``maximumLines`` lines.
        case tooManyLines

        public var description: String {
            switch self {
            case .malformedLine(let line): return "the server sent a line that is not an SMTP reply: \"\(line)\""
            case .inconsistentCode(let expected, let found):
                return "the server's multi-line reply changed its code from \(expected) to \(found)"
            case .lineTooLong:
                return "the server sent a reply line longer than \(SMTPReplyParser.maximumLineLength) octets"
            case .tooManyLines: return "the server sent a reply with more than \(SMTPReplyParser.maximumLines) lines"
            }
        }
    }

    /// Longest accepted reply line without its line ending. RFC 5321 allows 512 octets; real servers exceed it.
    public static let maximumLineLength = 4096
    /// Most lines in one reply (an EHLO reply has about twenty).
    public static let maximumLines = 256

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    public init() {}

    /// Whether bytes were received that are not part of a complete reply yet. Nothing may be buffered when
    /// TLS starts: plaintext sent before the handshake must not be read as if it came over TLS.
    public var hasBufferedInput: Bool { buffer.count > readIndex || pendingCode != nil }

    /// Adds bytes from the server.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0 && readIndex * 2 >= buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or `nil` until more bytes arrive. After a failure the parser is unusable:
    /// the connection must be dropped.
    public mutating func nextReply() throws(Failure) -> SMTPServerReply? {
        while let line = try nextLine() {
            let (code, isLast, text) = try Self.parse(line)
            if let expected = pendingCode, expected != code {
                throw .inconsistentCode(expected: expected, found: code)
            }
            pendingCode = code
            pendingLines.append(text)
            if isLast {
                let reply = SMTPServerReply(code: code, lines: pendingLines)
                pendingCode = nil
                pendingLines = []
                return reply
            }
            if pendingLines.count >= Self.maximumLines { throw .tooManyLines }
        }
        return nil
    }

    private mutating func nextLine() throws(Failure) -> ArraySlice<UInt8>? {
        guard let newline = buffer[readIndex...].firstIndex(of: 0x0A) else {
            if buffer.count - readIndex > Self.maximumLineLength + 1 { throw .lineTooLong }
            return nil
        }
        var end = newline
        if end > readIndex && buffer[end - 1] == 0x0D { end -= 1 }
        let line = buffer[readIndex..<end]
        readIndex = newline + 1
        if line.count > Self.maximumLineLength { throw .lineTooLong }
        return line
    }

    private static func parse(_ line: ArraySlice<UInt8>) throws(Failure) -> (code: Int, isLast: Bool, text: String) {
        let bytes = Array(line)
        guard bytes.count >= 3,
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0]),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[1]),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[2])
        else { throw .malformedLine(printable(bytes)) }
        let code = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
        if bytes.count == 3 { return (code, true, "") }
        switch bytes[3] {
        case UInt8(ascii: " "): return (code, true, printable(bytes[4...]))
        case UInt8(ascii: "-"): return (code, false, printable(bytes[4...]))
        default: throw .malformedLine(printable(bytes))
        }
    }

    /// The line as text for results and logs: invalid UTF-8 replaced, control characters shown as `?`,
    /// long lines cut, so a hostile server cannot write escape sequences into someone's terminal.
    private static func printable(_ bytes: some Collection<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(1024), as: UTF8.self)
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F ? "?" : scalar
                }))
    }
}
