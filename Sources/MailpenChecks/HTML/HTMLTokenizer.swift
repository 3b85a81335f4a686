import MailpenMIME

/// A tolerant, single-pass HTML tokenizer after the WHATWG tokenizer's states, reduced to
/// what the checks need: tags with attributes, text, raw-text element content, comments
/// and the doctype.
///
/// Every byte is examined a bounded number of times and every search moves forward, so
/// any input — unclosed comments, quotes or tags, stray `<` — is tokenized in linear time
/// and nothing traps.
struct HTMLTokenizer {
    /// Elements whose content is text up to their end tag, not markup.
    static let rawTextElements: Set<String> = [
        "style", "script", "title", "textarea", "xmp", "iframe", "noembed", "noframes",
    ]

    private let bytes: [UInt8]
    private let lines: LineIndex
    private var index = 0
    private var tokens: [HTMLToken] = []

    init(bytes: [UInt8], lines: LineIndex) {
        self.bytes = bytes
        self.lines = lines
    }

    /// Tokenizes `bytes`.
    static func tokenize(_ bytes: [UInt8], lines: LineIndex) -> [HTMLToken] {
        var tokenizer = HTMLTokenizer(bytes: bytes, lines: lines)
        return tokenizer.run()
    }

    private mutating func run() -> [HTMLToken] {
        let count = self.bytes.count
        self.tokens.reserveCapacity(count / 24)
        var textStart = 0
        var scan = 0
        while let next = self.firstIndex(of: ASCII.lessThan, from: scan) {
            guard self.startsMarkup(at: next) else {
                scan = next + 1  // a literal '<'
                continue
            }
            if textStart < next {
                self.tokens.append(.text(textStart..<next))
            }
            self.index = next
            self.markup()
            textStart = self.index
            scan = self.index
        }
        if textStart < count {
            self.tokens.append(.text(textStart..<count))
        }
        return self.tokens
    }

    /// True when the `<` at `start` opens a tag, comment, doctype or bogus comment.
    private func startsMarkup(at start: Int) -> Bool {
        guard start + 1 < self.bytes.count else {
            return false
        }
        let next = self.bytes[start + 1]
        if next == ASCII.exclamation || next == ASCII.question || ASCII.isAlpha(next) {
            return true
        }
        return next == ASCII.slash && start + 2 < self.bytes.count
    }

    /// Consumes the markup at `index` (a `<` for which `startsMarkup` holds).
    private mutating func markup() {
        let start = self.index
        let next = self.bytes[start + 1]
        if next == ASCII.exclamation {
            if Bytes.hasPrefix(self.bytes, at: start, lowercase: "<!--") {
                self.comment(start)
            } else if Bytes.hasPrefix(self.bytes, at: start, lowercase: "<!doctype") {
                self.doctype(start)
            } else {
                self.bogusComment(start, contentStart: start + 2)
            }
        } else if next == ASCII.question {
            self.bogusComment(start, contentStart: start + 1)
        } else if next == ASCII.slash {
            let third = self.bytes[start + 2]
            if ASCII.isAlpha(third) {
                self.tag(start, isEndTag: true)
            } else if third == ASCII.greaterThan {
                self.index = start + 3  // "</>" is dropped
            } else {
                self.bogusComment(start, contentStart: start + 2)
            }
        } else {
            self.tag(start, isEndTag: false)
        }
    }

    private mutating func comment(_ start: Int) {
        let contentStart = start + 4
        var scan = contentStart
        let count = self.bytes.count
        // "<!-->" and "<!--->" are complete (empty) comments.
        if scan < count && self.bytes[scan] == ASCII.greaterThan {
            self.emitComment(contentStart..<contentStart, at: start, resumeAt: scan + 1)
            return
        }
        if scan + 1 < count && self.bytes[scan] == ASCII.minus && self.bytes[scan + 1] == ASCII.greaterThan {
            self.emitComment(contentStart..<contentStart, at: start, resumeAt: scan + 2)
            return
        }
        while let dash = self.firstIndex(of: ASCII.minus, from: scan) {
            if dash + 2 < count && self.bytes[dash + 1] == ASCII.minus && self.bytes[dash + 2] == ASCII.greaterThan {
                self.emitComment(contentStart..<dash, at: start, resumeAt: dash + 3)
                return
            }
            if dash + 3 < count && self.bytes[dash + 1] == ASCII.minus && self.bytes[dash + 2] == ASCII.exclamation
                && self.bytes[dash + 3] == ASCII.greaterThan
            {
                self.emitComment(contentStart..<dash, at: start, resumeAt: dash + 4)
                return
            }
            scan = dash + 1
        }
        self.emitComment(min(contentStart, count)..<count, at: start, resumeAt: count)
    }

    private mutating func bogusComment(_ start: Int, contentStart: Int) {
        let end = self.firstIndex(of: ASCII.greaterThan, from: contentStart) ?? self.bytes.count
        self.emitComment(min(contentStart, end)..<end, at: start, resumeAt: min(end + 1, self.bytes.count))
    }

    private mutating func emitComment(_ range: Range<Int>, at start: Int, resumeAt: Int) {
        self.tokens.append(.comment(range: range, line: self.lines.line(at: start)))
        self.index = resumeAt
    }

    private mutating func doctype(_ start: Int) {
        let contentStart = start + 9
        let end = self.firstIndex(of: ASCII.greaterThan, from: contentStart) ?? self.bytes.count
        let content = Bytes.trimmed(String(decoding: self.bytes[min(contentStart, end)..<end], as: UTF8.self))
        self.tokens.append(.doctype(content, line: self.lines.line(at: start)))
        self.index = min(end + 1, self.bytes.count)
    }

    private mutating func tag(_ start: Int, isEndTag: Bool) {
        let count = self.bytes.count
        var cursor = start + (isEndTag ? 2 : 1)
        let nameStart = cursor
        while cursor < count {
            let byte = self.bytes[cursor]
            if ASCII.isHTMLSpace(byte) || byte == ASCII.slash || byte == ASCII.greaterThan {
                break
            }
            cursor += 1
        }
        let name = Bytes.lowercasedString(self.bytes, nameStart..<cursor)
        var attributes: [HTMLAttribute] = []
        var selfClosing = false
        // Attributes (end tags have them too in broken markup; they are parsed and dropped).
        while cursor < count {
            let byte = self.bytes[cursor]
            if ASCII.isHTMLSpace(byte) {
                cursor += 1
                continue
            }
            if byte == ASCII.greaterThan {
                cursor += 1
                break
            }
            if byte == ASCII.slash {
                cursor += 1
                if cursor < count && self.bytes[cursor] == ASCII.greaterThan {
                    selfClosing = true
                }
                continue
            }
            let attributeStart = cursor
            cursor += 1  // the first character may be '='
            while cursor < count {
                let byte = self.bytes[cursor]
                if ASCII.isHTMLSpace(byte) || byte == ASCII.slash || byte == ASCII.greaterThan || byte == ASCII.equals {
                    break
                }
                cursor += 1
            }
            let attributeName = Bytes.lowercasedString(self.bytes, attributeStart..<cursor)
            var probe = cursor
            while probe < count && ASCII.isHTMLSpace(self.bytes[probe]) {
                probe += 1
            }
            guard probe < count, self.bytes[probe] == ASCII.equals else {
                attributes.append(HTMLAttribute(name: attributeName, value: "", hasValue: false))
                continue
            }
            cursor = probe + 1
            while cursor < count && ASCII.isHTMLSpace(self.bytes[cursor]) {
                cursor += 1
            }
            var valueRange = cursor..<cursor
            if cursor < count, self.bytes[cursor] == ASCII.quote || self.bytes[cursor] == ASCII.apostrophe {
                let quote = self.bytes[cursor]
                let valueStart = cursor + 1
                let valueEnd = self.firstIndex(of: quote, from: valueStart) ?? count
                valueRange = min(valueStart, valueEnd)..<valueEnd
                cursor = min(valueEnd + 1, count)
            } else {
                let valueStart = cursor
                while cursor < count && !ASCII.isHTMLSpace(self.bytes[cursor])
                    && self.bytes[cursor] != ASCII.greaterThan
                {
                    cursor += 1
                }
                valueRange = valueStart..<cursor
            }
            if !isEndTag {
                attributes.append(
                    HTMLAttribute(
                        name: attributeName,
                        value: HTMLEntities.decode(self.bytes, valueRange),
                        hasValue: true
                    )
                )
            }
        }
        let tag = HTMLTag(
            name: name,
            attributes: isEndTag ? [] : Self.deduplicated(attributes),
            isEndTag: isEndTag,
            isSelfClosing: selfClosing,
            offset: start,
            line: self.lines.line(at: start)
        )
        self.tokens.append(.tag(tag))
        self.index = cursor
        if !isEndTag && !selfClosing && Self.rawTextElements.contains(name) {
            self.rawText(after: cursor, element: name)
        }
    }

    /// Per the HTML spec the first of duplicate attributes wins.
    private static func deduplicated(_ attributes: [HTMLAttribute]) -> [HTMLAttribute] {
        guard attributes.count > 1 else {
            return attributes
        }
        var seen: Set<String> = []
        return attributes.filter { seen.insert($0.name).inserted }
    }

    /// Content of a raw-text element, up to `</name` followed by white space, `/` or `>`.
    private mutating func rawText(after start: Int, element: String) {
        let count = self.bytes.count
        let name = Array(element.utf8)
        var scan = start
        var end = count
        search: while let less = self.firstIndex(of: ASCII.lessThan, from: scan) {
            scan = less + 1
            guard less + 2 + name.count <= count, self.bytes[less + 1] == ASCII.slash else {
                continue
            }
            for (offset, byte) in name.enumerated() where ASCII.lowercased(self.bytes[less + 2 + offset]) != byte {
                continue search
            }
            let after = less + 2 + name.count
            if after == count || ASCII.isHTMLSpace(self.bytes[after]) || self.bytes[after] == ASCII.slash
                || self.bytes[after] == ASCII.greaterThan
            {
                end = less
                break
            }
        }
        if end > start {
            self.tokens.append(.rawText(element: element, range: start..<end, line: self.lines.line(at: start)))
        }
        self.index = end
    }

    private func firstIndex(of byte: UInt8, from start: Int) -> Int? {
        guard start < self.bytes.count else {
            return nil
        }
        return self.bytes.withUnsafeBufferPointer { buffer in
            var index = start
            while index < buffer.count {
                if buffer[index] == byte {
                    return index
                }
                index += 1
            }
            return nil
        }
    }
}
