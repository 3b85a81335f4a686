import MailpenMIME

/// A tolerant scanner for style sheets and `style` attributes, after CSS Syntax Level 3's
/// error recovery: it reports at-rules, selectors, declarations (with `!important`) and
/// comments, nested to any depth, and keeps going after any error.
///
/// It never recurses (an explicit stack tracks blocks), every byte is read a bounded
/// number of times, and `{`/`}` always end the current item, so an unclosed string or
/// parenthesis cannot swallow the rest of the sheet.
struct CSSScanner {
    /// What the block being read contains.
    private enum Block {
        /// Rules: the top level, `@media`, `@supports`, …
        case rules
        /// Keyframe rules: selectors are `from`/`to`/percentages, not element selectors.
        case keyframes
        /// Declarations: a style rule, `@font-face`, `@page`, …
        case declarations
    }

    /// At-rules whose block holds rules.
    private static let ruleListAtRules: Set<String> = [
        "media", "supports", "document", "-moz-document", "layer", "container", "scope", "starting-style",
    ]

    private let bytes: [UInt8]
    private let end: Int
    private let lineAt: (Int) -> Int
    private var index: Int
    private var stack: [Block]
    private var items: [CSSItem] = []

    /// Scans `bytes[range]`; `line` maps an offset in `bytes` to a line number.
    private init(bytes: [UInt8], range: Range<Int>, inline: Bool, line: @escaping (Int) -> Int) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = min(range.upperBound, bytes.count)
        self.lineAt = line
        self.stack = [inline ? .declarations : .rules]
    }

    /// The items of a style sheet (a `<style>` element's content).
    static func scanStyleSheet(_ bytes: [UInt8], range: Range<Int>, line: @escaping (Int) -> Int) -> [CSSItem] {
        var scanner = CSSScanner(bytes: bytes, range: range, inline: false, line: line)
        return scanner.run()
    }

    /// The items of a `style` attribute's value; everything is on `line`.
    static func scanInlineStyle(_ value: String, line: Int) -> [CSSItem] {
        let bytes = Array(value.utf8)
        var scanner = CSSScanner(bytes: bytes, range: 0..<bytes.count, inline: true, line: { _ in line })
        return scanner.run()
    }

    private mutating func run() -> [CSSItem] {
        while true {
            self.skipSpaceAndComments()
            guard self.index < self.end else {
                break
            }
            let byte = self.bytes[self.index]
            if byte == ASCII.closeBrace {
                if self.stack.count > 1 {
                    self.stack.removeLast()
                }
                self.index += 1
                continue
            }
            if byte == ASCII.at {
                self.atRule()
                continue
            }
            switch self.stack.last ?? .rules {
            case .rules, .keyframes:
                self.qualifiedRule()
            case .declarations:
                self.declarationOrNestedRule()
            }
        }
        return self.items
    }

    /// Skips white space, comments and the `<!--`/`-->` tokens style sheets in mail often carry.
    private mutating func skipSpaceAndComments() {
        while self.index < self.end {
            let byte = self.bytes[self.index]
            if ASCII.isHTMLSpace(byte) || byte == ASCII.semicolon && self.stack.last != .declarations {
                self.index += 1
            } else if byte == ASCII.slash && self.peek(1) == ASCII.asterisk {
                self.comment()
            } else if byte == ASCII.lessThan && Bytes.hasPrefix(self.bytes, at: self.index, lowercase: "<!--") {
                self.index += 4
            } else if byte == ASCII.minus && Bytes.hasPrefix(self.bytes, at: self.index, lowercase: "-->") {
                self.index += 3
            } else {
                return
            }
        }
    }

    private mutating func comment() {
        self.items.append(.comment(line: self.lineAt(self.index)))
        var cursor = self.index + 2
        while cursor + 1 < self.end {
            if self.bytes[cursor] == ASCII.asterisk && self.bytes[cursor + 1] == ASCII.slash {
                self.index = cursor + 2
                return
            }
            cursor += 1
        }
        self.index = self.end
    }

    private func peek(_ offset: Int) -> UInt8? {
        let position = self.index + offset
        return position < self.end ? self.bytes[position] : nil
    }

    /// How an item read by `readItem` ended.
    private enum Terminator {
        case semicolon, openBrace, closeBrace, end
    }

    /// Reads up to `;` (outside parentheses), `{` or `}` (anywhere), skipping strings and
    /// comments. Returns the item's text, trimmed, and what ended it; `index` is left on the
    /// terminator.
    private mutating func readItem() -> (text: String, terminator: Terminator) {
        let start = self.index
        var cursor = self.index
        var depth = 0
        var out: [UInt8] = []
        var copiedUpTo = start
        var terminator = Terminator.end
        scan: while cursor < self.end {
            let byte = self.bytes[cursor]
            switch byte {
            case ASCII.semicolon where depth == 0:
                terminator = .semicolon
                break scan
            case ASCII.openBrace:
                terminator = .openBrace
                break scan
            case ASCII.closeBrace:
                terminator = .closeBrace
                break scan
            case ASCII.openParen:
                depth += 1
            case ASCII.closeParen:
                depth = max(0, depth - 1)
            case ASCII.quote, ASCII.apostrophe:
                cursor = self.skipString(from: cursor)
                continue scan
            case ASCII.backslash:
                cursor = min(cursor + 2, self.end)
                continue scan
            case ASCII.slash where cursor + 1 < self.end && self.bytes[cursor + 1] == ASCII.asterisk:
                // A comment inside an item is dropped from its text.
                self.items.append(.comment(line: self.lineAt(cursor)))
                out.append(contentsOf: self.bytes[copiedUpTo..<cursor])
                out.append(ASCII.space)
                var close = cursor + 2
                while close + 1 < self.end
                    && !(self.bytes[close] == ASCII.asterisk && self.bytes[close + 1] == ASCII.slash)
                {
                    close += 1
                }
                cursor = min(close + 2, self.end)
                copiedUpTo = cursor
                continue scan
            default:
                break
            }
            cursor += 1
        }
        self.index = cursor
        out.append(contentsOf: self.bytes[copiedUpTo..<cursor])
        return (Bytes.trimmed(String(decoding: out, as: UTF8.self)), terminator)
    }

    /// The offset after the string starting at `start`; a string also ends at a newline.
    private func skipString(from start: Int) -> Int {
        let quote = self.bytes[start]
        var cursor = start + 1
        while cursor < self.end {
            let byte = self.bytes[cursor]
            if byte == quote {
                return cursor + 1
            }
            if byte == ASCII.lf {
                return cursor
            }
            if byte == ASCII.backslash {
                cursor += 1
            }
            cursor += 1
        }
        return self.end
    }

    /// Consumes the terminator `readItem` stopped at when it is `;` (a `}` is left for `run`).
    private mutating func consume(_ terminator: Terminator) {
        if terminator == .semicolon || terminator == .openBrace {
            self.index += 1
        }
    }

    private mutating func atRule() {
        let line = self.lineAt(self.index)
        var cursor = self.index + 1
        let nameStart = cursor
        while cursor < self.end {
            let byte = self.bytes[cursor]
            if ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == ASCII.minus || byte == ASCII.underscore
                || byte >= 0x80
            {
                cursor += 1
            } else {
                break
            }
        }
        let name = Bytes.lowercasedString(self.bytes, nameStart..<cursor)
        self.index = cursor
        let (prelude, terminator) = self.readItem()
        self.items.append(.atRule(name: name, prelude: prelude, line: line))
        self.consume(terminator)
        guard terminator == .openBrace else {
            return
        }
        let unprefixed = Self.unprefixed(name)
        if unprefixed == "keyframes" {
            self.stack.append(.keyframes)
        } else if Self.ruleListAtRules.contains(name) {
            // Inside a style rule, a nested @media holds declarations and rules alike.
            self.stack.append(self.stack.last == .declarations ? .declarations : .rules)
        } else {
            self.stack.append(.declarations)
        }
    }

    private mutating func qualifiedRule() {
        let line = self.lineAt(self.index)
        let isKeyframes = self.stack.last == .keyframes
        let (prelude, terminator) = self.readItem()
        switch terminator {
        case .openBrace:
            if !isKeyframes && !prelude.isEmpty {
                self.items.append(.selector(prelude, line: line))
            }
            self.index += 1
            self.stack.append(.declarations)
        case .semicolon:
            self.index += 1  // a stray item without a block is dropped
        case .closeBrace, .end:
            break
        }
    }

    private mutating func declarationOrNestedRule() {
        let line = self.lineAt(self.index)
        let (text, terminator) = self.readItem()
        if terminator == .openBrace {
            if !text.isEmpty {
                self.items.append(.nestedRule(text, line: line))
            }
            self.index += 1
            self.stack.append(.declarations)
            return
        }
        self.consume(terminator)
        if let declaration = Self.declaration(text, line: line) {
            self.items.append(.declaration(declaration))
        }
    }

    /// Splits `property: value [!important]`; nil when there is no property.
    static func declaration(_ text: String, line: Int) -> CSSDeclaration? {
        let utf8 = Array(text.utf8)
        guard let colon = utf8.firstIndex(of: ASCII.colon) else {
            return nil
        }
        let property = Bytes.trimmed(String(decoding: utf8[0..<colon], as: UTF8.self))
        guard !property.isEmpty, !property.utf8.contains(where: ASCII.isHTMLSpace) else {
            return nil
        }
        var valueBytes = Array(utf8[(colon + 1)...])
        var important = false
        // `! important` with any spacing and case, at the end.
        if let bang = valueBytes.lastIndex(of: ASCII.exclamation) {
            let keyword = ByteText.lowercasedASCII(
                Bytes.trimmed(String(decoding: valueBytes[(bang + 1)...], as: UTF8.self))
            )
            if keyword == "important" {
                important = true
                valueBytes.removeSubrange(bang...)
            }
        }
        let name = property.hasPrefix("--") ? property : ByteText.lowercasedASCII(property)
        return CSSDeclaration(
            property: name,
            value: Bytes.trimmed(String(decoding: valueBytes, as: UTF8.self)),
            isImportant: important,
            line: line
        )
    }

    /// `name` without a vendor prefix (`-webkit-keyframes` → `keyframes`).
    static func unprefixed(_ name: String) -> String {
        for prefix in ["-webkit-", "-moz-", "-ms-", "-o-"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }
}
