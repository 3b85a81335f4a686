/// Splits an unfolded structured header value (RFC 5322 §3.2) into tokens for the envelope's address
/// lists and the body structure's parameter lists, keeping encoded words and case as written: IMAP hands
/// clients the header's own text (RFC 3501 §7.4.2), not a decoded form.
struct IMAPHeaderTokenizer {
    enum Token: Equatable {
        /// An atom (RFC 5322 atext run; with `allowsDots`, dots too).
        case atom([UInt8])
        /// A quoted string's content, unescaped.
        case quoted([UInt8])
        /// A comment's content, without its parentheses, unescaped.
        case comment([UInt8])
        /// A domain literal, brackets included.
        case domainLiteral([UInt8])
        /// One special character.
        case special(UInt8)
    }

    /// Tokenizes `value`. `specials` are the characters that stand alone (they differ between address
    /// lists and MIME parameters).
    static func tokenize(_ value: [UInt8], specials: Set<UInt8>) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < value.count {
            let byte = value[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                index += 1
            case UInt8(ascii: "\""):
                var content: [UInt8] = []
                index += 1
                while index < value.count, value[index] != UInt8(ascii: "\"") {
                    if value[index] == UInt8(ascii: "\\"), index + 1 < value.count { index += 1 }
                    if value[index] != 0x0D && value[index] != 0x0A { content.append(value[index]) }
                    index += 1
                }
                index += 1
                tokens.append(.quoted(content))
            case UInt8(ascii: "("):
                var content: [UInt8] = []
                var depth = 1
                index += 1
                while index < value.count {
                    let current = value[index]
                    if current == UInt8(ascii: "\\"), index + 1 < value.count {
                        content.append(value[index + 1])
                        index += 2
                        continue
                    }
                    if current == UInt8(ascii: "(") { depth += 1 }
                    if current == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    content.append(current)
                    index += 1
                }
                index += 1
                tokens.append(.comment(content))
            case UInt8(ascii: "[") where specials.contains(UInt8(ascii: "@")):
                let start = index
                while index < value.count, value[index] != UInt8(ascii: "]") { index += 1 }
                index = min(index + 1, value.count)
                tokens.append(.domainLiteral(Array(value[start..<index])))
            default:
                if specials.contains(byte) {
                    tokens.append(.special(byte))
                    index += 1
                    continue
                }
                let start = index
                while index < value.count {
                    let current = value[index]
                    if current == 0x20 || current == 0x09 || current == 0x0D || current == 0x0A
                        || current == UInt8(ascii: "\"") || current == UInt8(ascii: "(") || specials.contains(current)
                    {
                        break
                    }
                    index += 1
                }
                tokens.append(.atom(Array(value[start..<index])))
            }
        }
        return tokens
    }
}
