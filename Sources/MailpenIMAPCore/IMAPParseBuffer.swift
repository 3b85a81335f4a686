/// The bytes of one command (its lines and literals, CRLFs included) and a read position, with the
/// primitives of RFC 3501's grammar (§9). The combinators follow swift-nio-imap's `ParserLibrary`: a
/// failed alternative restores the position (``composite(_:)``), and nesting depth is bounded so hostile
/// input cannot exhaust the stack.
struct IMAPParseBuffer {
    let bytes: [UInt8]
    var position = 0
    private var depth = 0

    /// Parenthesised search keys and similar nesting deeper than this are refused.
    static let maximumDepth = 50

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position >= bytes.count }
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// Runs `body`; when it throws, the position is restored and the error rethrown.
    mutating func composite<T>(_ body: (inout IMAPParseBuffer) throws(IMAPParseError) -> T) throws(IMAPParseError) -> T
    {
        let saved = position
        do {
            return try body(&self)
        } catch {
            position = saved
            throw error
        }
    }

    /// Runs `body`, nil (position restored) when it throws.
    mutating func optional<T>(_ body: (inout IMAPParseBuffer) throws(IMAPParseError) -> T) -> T? {
        try? composite(body)
    }

    /// Counts one level of nesting around `body`.
    mutating func nested<T>(_ body: (inout IMAPParseBuffer) throws(IMAPParseError) -> T) throws(IMAPParseError) -> T {
        guard depth < Self.maximumDepth else { throw IMAPParseError("too deeply nested") }
        depth += 1
        defer { depth -= 1 }
        return try body(&self)
    }

    // MARK: - Fixed text

    /// Whether the next bytes are `text`, compared case-insensitively; consumes them if so.
    mutating func take(_ text: String) -> Bool {
        let expected = Array(text.utf8)
        guard bytes.count - position >= expected.count else { return false }
        for (offset, byte) in expected.enumerated() where Self.upper(bytes[position + offset]) != Self.upper(byte) {
            return false
        }
        position += expected.count
        return true
    }

    mutating func expect(_ text: String) throws(IMAPParseError) {
        guard take(text) else {
            throw IMAPParseError(
                text == "\r\n" ? "expected CRLF" : text == " " ? "expected a space" : "expected \(text)")
        }
    }

    mutating func space() throws(IMAPParseError) { try expect(" ") }

    mutating func end() throws(IMAPParseError) {
        guard isAtEnd else { throw IMAPParseError("unexpected text at the end of the command") }
    }

    static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
    }

    // MARK: - Atoms and strings

    /// ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ].
    static func isAtomChar(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
            UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
            return false
        default:
            return true
        }
    }

    /// Consumes the longest run of bytes accepted by `accepts` (at least one).
    mutating func run(_ what: String, _ accepts: (UInt8) -> Bool) throws(IMAPParseError) -> String {
        let start = position
        while let byte = peek, accepts(byte) { position += 1 }
        guard position > start else { throw IMAPParseError("expected \(what)") }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func atom() throws(IMAPParseError) -> String {
        try run("an atom", Self.isAtomChar)
    }

    /// The tag: ASTRING-CHARs except `+`.
    mutating func tag() throws(IMAPParseError) -> String {
        try run("a tag") { Self.isAtomChar($0) && $0 != UInt8(ascii: "+") }
    }

    /// A quoted string or a literal.
    mutating func string() throws(IMAPParseError) -> [UInt8] {
        switch peek {
        case UInt8(ascii: "\""): return try quoted()
        case UInt8(ascii: "{"): return try literal()
        default: throw IMAPParseError("expected a string")
        }
    }

    /// A quoted string; 8-bit bytes are accepted (UTF-8 from clients that send it unasked).
    mutating func quoted() throws(IMAPParseError) -> [UInt8] {
        try expect("\"")
        var out: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard let next = peek, next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                    throw IMAPParseError("invalid escape in a quoted string")
                }
                out.append(next)
                position += 1
            case 0x00, 0x0D, 0x0A:
                throw IMAPParseError("invalid character in a quoted string")
            default:
                out.append(byte)
            }
        }
        throw IMAPParseError("unterminated quoted string")
    }

    /// `{n}` or `{n+}`, CRLF, then n octets (the framer put them there).
    mutating func literal() throws(IMAPParseError) -> [UInt8] {
        try expect("{")
        let count = try number()
        _ = take("+")
        try expect("}")
        try expect("\r\n")
        guard count <= bytes.count - position else { throw IMAPParseError("literal shorter than announced") }
        let value = Array(bytes[position..<position + count])
        guard !value.contains(0) else { throw IMAPParseError("NUL in a literal") }
        position += count
        return value
    }

    /// astring: an atom (with `]` allowed) or a string, as text.
    mutating func astring() throws(IMAPParseError) -> String {
        if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "{") { return Self.text(try string()) }
        return try run("a string") { Self.isAtomChar($0) || $0 == UInt8(ascii: "]") }
    }

    /// nstring: a string or NIL.
    mutating func nstring() throws(IMAPParseError) -> String? {
        if take("NIL") { return nil }
        return Self.text(try string())
    }

    /// A mailbox name: astring; `INBOX` in any case is INBOX (RFC 3501 §5.1).
    mutating func mailbox() throws(IMAPParseError) -> String {
        let name = try astring()
        return name.uppercased() == "INBOX" ? "INBOX" : name
    }

    /// list-mailbox: list-chars (atom chars, `%`, `*`, `]`) or a string.
    mutating func listMailbox() throws(IMAPParseError) -> String {
        if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "{") { return Self.text(try string()) }
        return try run("a mailbox pattern") {
            Self.isAtomChar($0) || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "]")
        }
    }

    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Numbers

    /// number: 1*DIGIT within 32 bits (RFC 3501 §9).
    mutating func number() throws(IMAPParseError) -> Int {
        let start = position
        var value = 0
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            guard value <= Int(UInt32.max) else { throw IMAPParseError("number too large") }
            position += 1
        }
        guard position > start else { throw IMAPParseError("expected a number") }
        return value
    }

    mutating func nonZeroNumber() throws(IMAPParseError) -> Int {
        let value = try number()
        guard value > 0 else { throw IMAPParseError("expected a number above zero") }
        return value
    }

    // MARK: - Sequence sets

    mutating func sequenceSet() throws(IMAPParseError) -> IMAPSequenceSet {
        var ranges: [IMAPSequenceSet.Range] = []
        repeat {
            let first = try sequenceBound()
            let last = take(":") ? try sequenceBound() : first
            ranges.append(IMAPSequenceSet.Range(first, last))
        } while take(",")
        return IMAPSequenceSet(ranges)
    }

    private mutating func sequenceBound() throws(IMAPParseError) -> IMAPSequenceSet.Bound {
        if take("*") { return .last }
        return .number(UInt32(try nonZeroNumber()))
    }

    // MARK: - Flags and dates

    /// flag: `\Atom` or a keyword atom.
    mutating func flag() throws(IMAPParseError) -> IMAPFlag {
        if take("\\") { return IMAPFlag("\\" + (try atom())) }
        return IMAPFlag(try atom())
    }

    /// `(flag *(SP flag))`, possibly empty.
    mutating func flagList() throws(IMAPParseError) -> [IMAPFlag] {
        try expect("(")
        var flags: [IMAPFlag] = []
        if take(")") { return flags }
        repeat { flags.append(try flag()) } while take(" ")
        try expect(")")
        return flags
    }

    /// date: `d-Mon-yyyy`, optionally quoted.
    mutating func date() throws(IMAPParseError) -> IMAPDate {
        let quotedDate = take("\"")
        let day = try number()
        try expect("-")
        let month = try run("a month") { Self.upper($0) >= UInt8(ascii: "A") && Self.upper($0) <= UInt8(ascii: "Z") }
        try expect("-")
        let yearStart = position
        let year = try number()
        guard position - yearStart == 4, (1...31).contains(day),
            let monthIndex = IMAPDate.monthNames.firstIndex(where: { $0.uppercased() == month.uppercased() })
        else { throw IMAPParseError("invalid date") }
        if quotedDate { try expect("\"") }
        return IMAPDate(year: year, month: monthIndex + 1, day: day)
    }
}
