/// The SMTP reply a chaos rule answers with instead of the stage's normal one: always a failure (4xx or 5xx),
/// so that the client is refused and nothing is stored.
public struct ChaosReply: Sendable, Hashable {
    /// The three-digit code, 400 to 599.
    public let code: Int
    /// The enhanced status code (RFC 3463) whose class matches ``code``, if one was given.
    public let enhancedCode: String?
    /// The text after the codes (may be empty).
    public let text: String

    /// The longest reply accepted, in UTF-8 bytes: it must fit one SMTP reply line with room to spare.
    public static let maximumLength = 400

    /// Parses `"451 4.3.0 Try again later"`, `"554"` or `"421 Too busy"`.
    public init(parsing raw: String) throws(ChaosRuleError) {
        guard raw.utf8.count <= Self.maximumLength else {
            throw ChaosRuleError("reply is longer than \(Self.maximumLength) bytes")
        }
        guard !raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw ChaosRuleError("reply must be one line without control characters (no CR or LF)")
        }
        var words = raw.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = words.first, first.utf8.count == 3, first.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let code = Int(first), (400...599).contains(code)
        else {
            throw ChaosRuleError("reply must start with a failure code from 400 to 599, as in \"451 4.3.0 Try again\"")
        }
        words.removeFirst()
        var rest = words.first.map(String.init) ?? ""
        var enhanced: String?
        let candidate = rest.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        if let token = candidate.first, Self.looksEnhanced(token) {
            guard token.first == first.first else {
                throw ChaosRuleError("the enhanced code \(token) does not match the class of \(code)")
            }
            enhanced = String(token)
            rest = candidate.count > 1 ? String(candidate[1]) : ""
        }
        self.code = code
        self.enhancedCode = enhanced
        self.text = rest
    }

    /// Parses a reply a client gives for a new rule, which must also be printable ASCII: SMTP replies are
    /// ASCII, and some clients split lines at U+2028. (Rules stored before this check load as they are.)
    public init(given raw: String) throws(ChaosRuleError) {
        try self.init(parsing: raw)
        guard raw.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw ChaosRuleError("reply must be printable ASCII, as SMTP replies are")
        }
    }

    /// The reply as given, normalised: code, enhanced code and text separated by single spaces.
    public var description: String {
        [String(code), enhancedCode, text.isEmpty ? nil : text].compactMap { $0 }.joined(separator: " ")
    }

    /// `class.subject.detail` (RFC 3463 §2): a class digit, then two numbers of one to three digits.
    private static func looksEnhanced(_ token: Substring) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1, ["2", "4", "5"].contains(parts[0]) else { return false }
        return parts[1...].allSatisfy { part in
            (1...3).contains(part.count) && part.utf8.allSatisfy { (0x30...0x39).contains($0) }
        }
    }
}
