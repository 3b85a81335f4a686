/// One reply from an SMTP server as a client sees it: the three-digit code, the enhanced status code
/// (RFC 3463) when the server sent one, and the text of every line.
///
/// It is a value so that the pure client core can be fed replies in tests and a delivery result can keep
/// the reply that decided it.
public struct SMTPServerReply: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit reply code, for example `250`.
    public var code: Int
    /// The enhanced status code at the start of the first line (`"2.0.0"`), if there is one.
    public var enhancedStatus: String?
    /// The text after the code on each line, enhanced status codes included, as the server sent it.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
        self.enhancedStatus = Self.enhancedStatus(in: self.lines[0], code: code)
    }

    /// The reply on one line, as a log or a person would quote it: `250 2.0.0 Ok: queued as 42`.
    /// The lines of a multi-line reply are joined with spaces.
    public var text: String {
        let joined = lines.filter { !$0.isEmpty }.joined(separator: " ")
        return joined.isEmpty ? String(code) : "\(code) \(joined)"
    }

    public var description: String { text }

    /// 2yz: the command succeeded.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4yz: the command failed, but trying again later may work.
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5yz: the command failed and would fail again.
    public var isPermanentFailure: Bool { code >= 500 }

    /// `"x.y.z"` at the start of `line` whose class matches the reply code's first digit, as RFC 3463 writes it.
    private static func enhancedStatus(in line: String, code: Int) -> String? {
        guard let token = line.split(separator: " ", maxSplits: 1).first else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts[0].count == 1, parts[0].first.map(String.init) == String(code / 100),
            (1...3).contains(parts[1].count), (1...3).contains(parts[2].count),
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        return String(token)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
