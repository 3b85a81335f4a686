import MailpenMIME

/// Finds URLs in plain text the way mail clients linkify them: `http://`, `https://`
/// and `www.` up to white space or `<>"`, without trailing punctuation and unbalanced
/// closing brackets.
enum TextURLScanner {
    /// A URL and the line it starts on (1-based).
    struct Match: Equatable {
        var url: String
        var line: Int
    }

    static func urls(in text: String) -> [Match] {
        let bytes = Array(text.utf8)
        let count = bytes.count
        var matches: [Match] = []
        var line = 1
        var index = 0
        while index < count {
            let byte = bytes[index]
            if byte == ASCII.lf {
                line += 1
                index += 1
                continue
            }
            let lower = ASCII.lowercased(byte)
            guard lower == 0x68 || lower == 0x77, Self.startsURL(bytes, at: index) else {  // h, w
                index += 1
                continue
            }
            // Inside a word ("xhttp://") it is not a link.
            if index > 0, CSSValueScanner.isNameByte(bytes[index - 1]) || bytes[index - 1] == ASCII.dot {
                index += 1
                continue
            }
            var end = index
            while end < count {
                let byte = bytes[end]
                if ASCII.isHTMLSpace(byte) || byte == ASCII.lessThan || byte == ASCII.greaterThan || byte == ASCII.quote
                    || byte < 0x20
                {
                    break
                }
                end += 1
            }
            end = Self.trimmedEnd(bytes, start: index, end: end)
            if end > index {
                matches.append(Match(url: String(decoding: bytes[index..<end], as: UTF8.self), line: line))
            }
            index = max(end, index + 1)
        }
        return matches
    }

    private static func startsURL(_ bytes: [UInt8], at index: Int) -> Bool {
        if Bytes.hasPrefix(bytes, at: index, lowercase: "http://") {
            return index + 7 < bytes.count && !ASCII.isHTMLSpace(bytes[index + 7])
        }
        if Bytes.hasPrefix(bytes, at: index, lowercase: "https://") {
            return index + 8 < bytes.count && !ASCII.isHTMLSpace(bytes[index + 8])
        }
        if Bytes.hasPrefix(bytes, at: index, lowercase: "www.") {
            return index + 4 < bytes.count && CSSValueScanner.isNameByte(bytes[index + 4])
        }
        return false
    }

    /// Drops trailing `.,;:!?'*` and closing brackets that have no opening partner.
    private static func trimmedEnd(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        var end = end
        while end > start {
            let last = bytes[end - 1]
            switch last {
            case ASCII.dot, ASCII.comma, ASCII.semicolon, ASCII.colon, ASCII.exclamation, ASCII.question,
                ASCII.apostrophe, ASCII.asterisk:
                end -= 1
            case ASCII.closeParen, ASCII.closeBracket, ASCII.closeBrace:
                let open: UInt8 =
                    last == ASCII.closeParen
                    ? ASCII.openParen : last == ASCII.closeBracket ? ASCII.openBracket : ASCII.openBrace
                var balance = 0
                for byte in bytes[start..<end] {
                    if byte == open {
                        balance += 1
                    } else if byte == last {
                        balance -= 1
                    }
                }
                if balance < 0 {
                    end -= 1
                } else {
                    return end
                }
            default:
                return end
            }
        }
        return end
    }
}
