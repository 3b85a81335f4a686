import MailpenMIME

/// A component of a declaration value, enough to tell which CSS features it uses.
enum CSSValueToken: Sendable, Equatable {
    /// A keyword, lowercased (`flex`, `system-ui`, `initial`).
    case identifier(String)
    /// A function name, lowercased, without `(` (`rgba`, `calc`, `var`).
    case function(String)
    /// The lowercased unit of a dimension (`px`, `em`, `vh`).
    case dimension(String)
    case percentage
    /// A `url(…)` or `@import "…"` target as written.
    case url(String)
}

/// Splits declaration values and at-rule preludes into `CSSValueToken`s.
///
/// Numbers, strings, hashes and punctuation are skipped; a URL is read up to its `)`.
enum CSSValueScanner {
    static func tokens(_ value: String) -> [CSSValueToken] {
        let bytes = Array(value.utf8)
        var tokens: [CSSValueToken] = []
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if ASCII.isHTMLSpace(byte) {
                index += 1
            } else if byte == ASCII.quote || byte == ASCII.apostrophe {
                index = Self.skipString(bytes, from: index)
            } else if Self.startsNumber(bytes, at: index) {
                index = Self.number(bytes, from: index, into: &tokens)
            } else if Self.startsIdentifier(bytes, at: index) {
                index = Self.identifier(bytes, from: index, into: &tokens)
            } else if byte == ASCII.hash {
                index += 1
                while index < count && Self.isNameByte(bytes[index]) {
                    index += 1
                }
            } else {
                index += 1
            }
        }
        return tokens
    }

    /// URLs in a declaration value or an `@import` prelude (`url(…)`, and a bare string for `@import`).
    static func urls(_ value: String, bareStrings: Bool = false) -> [String] {
        var found: [String] = []
        for token in self.tokens(value) {
            if case .url(let url) = token {
                found.append(url)
            }
        }
        if bareStrings, found.isEmpty {
            let trimmed = Bytes.trimmed(value)
            if let first = trimmed.first, first == "\"" || first == "'" {
                let body = trimmed.dropFirst()
                if let close = body.firstIndex(of: first) {
                    found.append(String(body[..<close]))
                }
            }
        }
        return found
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == ASCII.minus || byte == ASCII.underscore || byte >= 0x80
    }

    private static func startsNumber(_ bytes: [UInt8], at index: Int) -> Bool {
        let byte = bytes[index]
        if ASCII.isDigit(byte) {
            return true
        }
        let next = index + 1 < bytes.count ? bytes[index + 1] : 0
        if byte == ASCII.dot {
            return ASCII.isDigit(next)
        }
        if byte == ASCII.plus || byte == ASCII.minus {
            if ASCII.isDigit(next) {
                return true
            }
            return next == ASCII.dot && index + 2 < bytes.count && ASCII.isDigit(bytes[index + 2])
        }
        return false
    }

    private static func startsIdentifier(_ bytes: [UInt8], at index: Int) -> Bool {
        let byte = bytes[index]
        if ASCII.isAlpha(byte) || byte == ASCII.underscore || byte >= 0x80 || byte == ASCII.backslash {
            return true
        }
        if byte == ASCII.minus, index + 1 < bytes.count {
            let next = bytes[index + 1]
            return ASCII.isAlpha(next) || next == ASCII.minus || next == ASCII.underscore || next >= 0x80
        }
        return false
    }

    private static func number(_ bytes: [UInt8], from start: Int, into tokens: inout [CSSValueToken]) -> Int {
        var index = start + 1
        let count = bytes.count
        while index < count && (ASCII.isDigit(bytes[index]) || bytes[index] == ASCII.dot) {
            index += 1
        }
        // An exponent (1e3) is rare in mail; "1em" must stay a dimension, so it is not read.
        guard index < count else {
            return index
        }
        if bytes[index] == ASCII.percent {
            tokens.append(.percentage)
            return index + 1
        }
        if Self.startsIdentifier(bytes, at: index) {
            let unitStart = index
            while index < count && Self.isNameByte(bytes[index]) {
                index += 1
            }
            tokens.append(.dimension(Bytes.lowercasedString(bytes, unitStart..<index)))
        }
        return index
    }

    private static func identifier(_ bytes: [UInt8], from start: Int, into tokens: inout [CSSValueToken]) -> Int {
        var index = start
        let count = bytes.count
        while index < count && (Self.isNameByte(bytes[index]) || bytes[index] == ASCII.backslash) {
            index += bytes[index] == ASCII.backslash ? 2 : 1
        }
        index = min(index, count)
        let name = Bytes.lowercasedString(bytes, start..<index)
        guard index < count, bytes[index] == ASCII.openParen else {
            tokens.append(.identifier(name))
            return index
        }
        if name == "url" {
            return Self.url(bytes, from: index + 1, into: &tokens)
        }
        tokens.append(.function(name))
        return index + 1
    }

    private static func url(_ bytes: [UInt8], from start: Int, into tokens: inout [CSSValueToken]) -> Int {
        var index = start
        let count = bytes.count
        while index < count && ASCII.isHTMLSpace(bytes[index]) {
            index += 1
        }
        var url: String
        if index < count && (bytes[index] == ASCII.quote || bytes[index] == ASCII.apostrophe) {
            let quote = bytes[index]
            let valueStart = index + 1
            var valueEnd = valueStart
            while valueEnd < count && bytes[valueEnd] != quote {
                valueEnd += 1
            }
            url = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
            index = valueEnd
            while index < count && bytes[index] != ASCII.closeParen {
                index += 1
            }
        } else {
            let valueStart = index
            while index < count && bytes[index] != ASCII.closeParen {
                index += 1
            }
            url = Bytes.trimmed(String(decoding: bytes[valueStart..<index], as: UTF8.self))
        }
        tokens.append(.url(url))
        return min(index + 1, count)
    }

    private static func skipString(_ bytes: [UInt8], from start: Int) -> Int {
        let quote = bytes[start]
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == quote {
                return index + 1
            }
            if bytes[index] == ASCII.backslash {
                index += 1
            }
            index += 1
        }
        return bytes.count
    }
}
