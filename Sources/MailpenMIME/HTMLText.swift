/// HTML to plain text, for search, snippets and the text view of HTML-only mail.
///
/// Not a renderer: a single linear pass that drops `script`/`style`/`title`/comments,
/// turns block elements into line breaks, keeps link targets as `text (url)`, uses
/// image `alt` text, decodes character references and collapses white space.
public enum HTMLText {
    /// The readable text of `html`.
    public static func plainText(fromHTML html: String) -> String {
        var converter = Converter(Array(html.utf8))
        return converter.run()
    }

    /// What an element does to the text.
    enum ElementKind {
        /// Block element separated by a blank line.
        case paragraph
        /// Block element on its own line.
        case line
        /// Raw-text element whose content is dropped.
        case skipped
    }

    static let elementKinds: [String: ElementKind] = {
        var kinds: [String: ElementKind] = [:]
        for name in ["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "dl", "hr", "table"] {
            kinds[name] = .paragraph
        }
        for name in [
            "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main",
            "form", "fieldset", "figure", "figcaption", "address", "center", "caption", "details", "summary",
            "tbody", "thead", "tfoot", "body", "html",
        ] {
            kinds[name] = .line
        }
        for name in ["script", "style", "title", "template", "noscript"] {
            kinds[name] = .skipped
        }
        return kinds
    }()

    struct Converter {
        let input: [UInt8]
        var index = 0
        var out: [UInt8] = []
        var pendingSpace = false
        var pendingNewlines = 0
        var preDepth = 0
        var link: (href: String, start: Int)? = nil

        init(_ input: [UInt8]) {
            self.input = input
            self.out.reserveCapacity(input.count / 2)
        }

        mutating func run() -> String {
            let count = self.input.count
            while self.index < count {
                let byte = self.input[self.index]
                if byte == ASCII.lessThan {
                    self.tag()
                } else if byte == ASCII.ampersand {
                    let (scalar, length) = HTMLEntities.reference(in: self.input, at: self.index, end: count)
                    self.index += length
                    if let scalar {
                        self.emitScalar(scalar)
                    } else {
                        self.emitByte(ASCII.ampersand)
                    }
                } else {
                    self.index += 1
                    // U+00A0 NO-BREAK SPACE counts as white space.
                    if byte == 0xC2 && self.index < count && self.input[self.index] == 0xA0 {
                        self.index += 1
                        self.emitByte(ASCII.space)
                    } else {
                        self.emitByte(byte)
                    }
                }
            }
            self.closeLink()
            return Self.finish(self.out)
        }

        mutating func emitScalar(_ scalar: UInt32) {
            if scalar == 0xA0 {
                self.emitByte(ASCII.space)
                return
            }
            if scalar < 0x80 {
                self.emitByte(UInt8(scalar))
                return
            }
            self.flushPending()
            Charset.appendUTF8(scalar, to: &self.out)
        }

        mutating func emitByte(_ byte: UInt8) {
            if self.preDepth > 0 {
                if byte == ASCII.cr {
                    return
                }
                self.flushPending()
                self.out.append(byte)
                return
            }
            if ASCII.isWhitespace(byte) {
                self.pendingSpace = true
                return
            }
            self.flushPending()
            self.out.append(byte)
        }

        mutating func flushPending() {
            if self.pendingNewlines > 0 {
                if !self.out.isEmpty {
                    while self.out.last == ASCII.space {
                        self.out.removeLast()
                    }
                    var existing = 0
                    for byte in self.out.reversed() {
                        guard byte == ASCII.lf, existing < 2 else {
                            break
                        }
                        existing += 1
                    }
                    let wanted = min(self.pendingNewlines, 2)
                    if wanted > existing {
                        self.out.append(contentsOf: repeatElement(ASCII.lf, count: wanted - existing))
                    }
                }
                self.pendingNewlines = 0
                self.pendingSpace = false
                return
            }
            if self.pendingSpace {
                if let last = self.out.last, last != ASCII.lf, last != ASCII.space {
                    self.out.append(ASCII.space)
                }
                self.pendingSpace = false
            }
        }

        mutating func requestNewlines(_ count: Int) {
            self.pendingNewlines = max(self.pendingNewlines, count)
        }

        /// At "<": a tag, comment, declaration, or a literal "<".
        mutating func tag() {
            let count = self.input.count
            let next = self.index + 1 < count ? self.input[self.index + 1] : 0
            if next == 0x21 {  // "!"
                if self.index + 3 < count && self.input[self.index + 2] == ASCII.minus
                    && self.input[self.index + 3] == ASCII.minus
                {
                    self.index =
                        HTMLText.find(self.input, [ASCII.minus, ASCII.minus, ASCII.greaterThan], from: self.index + 4)
                        .map { $0 + 3 } ?? count
                } else {
                    self.index =
                        HTMLText.find(self.input, [ASCII.greaterThan], from: self.index + 2).map { $0 + 1 } ?? count
                }
                return
            }
            if next == ASCII.question {
                self.index =
                    HTMLText.find(self.input, [ASCII.greaterThan], from: self.index + 2).map { $0 + 1 } ?? count
                return
            }
            let isClosing = next == ASCII.slash
            let nameStart = self.index + (isClosing ? 2 : 1)
            guard nameStart < count, ASCII.isAlpha(self.input[nameStart]) else {
                self.index += 1
                self.emitByte(ASCII.lessThan)
                return
            }
            var cursor = nameStart
            while cursor < count {
                let byte = self.input[cursor]
                guard ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == ASCII.minus || byte == ASCII.colon else {
                    break
                }
                cursor += 1
            }
            let name = HTMLText.lowercasedName(self.input, nameStart..<cursor)
            // Attributes up to ">" (quotes respected).
            var attributes: [String: String] = [:]
            let wantsAttributes = !isClosing && (name == "a" || name == "img")
            while cursor < count && self.input[cursor] != ASCII.greaterThan {
                let byte = self.input[cursor]
                if ASCII.isWhitespace(byte) || byte == ASCII.slash {
                    cursor += 1
                    continue
                }
                let attributeStart = cursor
                while cursor < count {
                    let current = self.input[cursor]
                    if ASCII.isWhitespace(current) || current == ASCII.equals || current == ASCII.greaterThan
                        || current == ASCII.slash
                    {
                        break
                    }
                    cursor += 1
                }
                let attributeEnd = cursor
                if attributeEnd == attributeStart {
                    cursor += 1
                    continue
                }
                while cursor < count && ASCII.isWhitespace(self.input[cursor]) {
                    cursor += 1
                }
                var value = cursor..<cursor
                if cursor < count && self.input[cursor] == ASCII.equals {
                    cursor += 1
                    while cursor < count && ASCII.isWhitespace(self.input[cursor]) {
                        cursor += 1
                    }
                    if cursor < count && (self.input[cursor] == ASCII.quote || self.input[cursor] == ASCII.apostrophe) {
                        let quote = self.input[cursor]
                        let valueStart = cursor + 1
                        cursor = HTMLText.find(self.input, [quote], from: valueStart) ?? count
                        value = valueStart..<cursor
                        cursor = min(cursor + 1, count)
                    } else {
                        let valueStart = cursor
                        while cursor < count && !ASCII.isWhitespace(self.input[cursor])
                            && self.input[cursor] != ASCII.greaterThan
                        {
                            cursor += 1
                        }
                        value = valueStart..<cursor
                    }
                }
                if wantsAttributes {
                    let attributeName = HTMLText.lowercasedName(self.input, attributeStart..<attributeEnd)
                    if attributes[attributeName] == nil {
                        attributes[attributeName] = HTMLEntities.decode(self.input, value)
                    }
                }
            }
            self.index = min(cursor + 1, count)
            self.handle(name: name, isClosing: isClosing, attributes: attributes)
        }

        mutating func handle(name: String, isClosing: Bool, attributes: [String: String]) {
            let kind = HTMLText.elementKinds[name]
            if !isClosing && kind == .skipped {
                // Skip to the matching end tag (raw text; not nested).
                let closing = Array("</\(name)".utf8)
                self.index = HTMLText.findIgnoringCase(self.input, closing, from: self.index) ?? self.input.count
                if self.index < self.input.count {
                    self.index =
                        HTMLText.find(self.input, [ASCII.greaterThan], from: self.index).map { $0 + 1 }
                        ?? self.input.count
                }
                return
            }
            switch name {
            case "br":
                if !self.out.isEmpty {
                    self.pendingNewlines = min(self.pendingNewlines + 1, 2)
                }
            case "td", "th":
                if !isClosing {
                    self.pendingSpace = true
                }
            case "pre":
                self.requestNewlines(2)
                self.preDepth = max(0, self.preDepth + (isClosing ? -1 : 1))
            case "img":
                if let alt = attributes["alt"].map(ByteText.trimmed), !alt.isEmpty {
                    self.pendingSpace = true
                    for byte in alt.utf8 {
                        self.emitByte(byte)
                    }
                    self.pendingSpace = true
                }
            case "a":
                self.closeLink()
                if !isClosing, let href = attributes["href"].map(ByteText.trimmed), !href.isEmpty {
                    self.flushPendingSpaceOnly()
                    self.link = (href, self.out.count)
                }
            default:
                if kind == .paragraph {
                    self.requestNewlines(2)
                } else if kind == .line {
                    self.requestNewlines(1)
                }
            }
        }

        /// Emits a pending space now so a link's text starts at the right offset.
        mutating func flushPendingSpaceOnly() {
            if self.pendingNewlines == 0 && self.pendingSpace {
                self.flushPending()
            } else if self.pendingNewlines > 0 {
                self.flushPending()
            }
        }

        mutating func closeLink() {
            guard let (href, start) = self.link else {
                return
            }
            self.link = nil
            let lowered = ByteText.lowercasedASCII(href)
            if href.hasPrefix("#") || lowered.hasPrefix("javascript:") {
                return
            }
            let textBytes = start <= self.out.count ? Array(self.out[start...]) : []
            let text = ByteText.trimmed(String(decoding: textBytes, as: UTF8.self))
            if text == href || "mailto:" + text == href || lowered == "mailto:" + ByteText.lowercasedASCII(text) {
                return
            }
            if text.isEmpty {
                self.flushPending()
                self.out.append(contentsOf: href.utf8)
            } else {
                self.out.append(contentsOf: " (".utf8)
                self.out.append(contentsOf: href.utf8)
                self.out.append(ASCII.closeParen)
            }
        }

        /// Trims line ends, collapses runs of blank lines, trims the whole text. (Leading
        /// white space only survives inside `pre`, so it is kept.)
        static func finish(_ out: [UInt8]) -> String {
            var result: [UInt8] = []
            result.reserveCapacity(out.count)
            var lineStart = 0
            var blankRun = 0
            var index = 0
            while index <= out.count {
                if index == out.count || out[index] == ASCII.lf {
                    var start = lineStart
                    var end = index
                    if result.isEmpty {
                        while start < end && ASCII.isWSP(out[start]) {
                            start += 1
                        }
                    }
                    while end > start && ASCII.isWhitespace(out[end - 1]) {
                        end -= 1
                    }
                    if start == end {
                        blankRun += 1
                    } else {
                        if !result.isEmpty {
                            result.append(contentsOf: repeatElement(ASCII.lf, count: min(blankRun, 1) + 1))
                        }
                        result.append(contentsOf: out[start..<end])
                        blankRun = 0
                    }
                    lineStart = index + 1
                }
                index += 1
            }
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// A tag or attribute name, ASCII-lowercased, built without an intermediate array.
    static func lowercasedName(_ input: [UInt8], _ range: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: range.count) { output in
            var written = 0
            for index in range {
                output[written] = ASCII.lowercased(input[index])
                written += 1
            }
            return written
        }
    }

    /// The first index at or after `start` where `needle` occurs.
    static func find(_ input: [UInt8], _ needle: [UInt8], from start: Int) -> Int? {
        self.find(input, needle, from: start, folding: { $0 })
    }

    /// The first index at or after `start` where `needle` occurs, ignoring ASCII case.
    static func findIgnoringCase(_ input: [UInt8], _ needle: [UInt8], from start: Int) -> Int? {
        self.find(input, needle.map(ASCII.lowercased), from: start, folding: ASCII.lowercased)
    }

    /// The search of both: `needle` (already folded) against `input`'s bytes folded by `fold`.
    /// Inlined so that each caller gets a loop with its fold built in.
    @inline(__always)
    private static func find(
        _ input: [UInt8],
        _ needle: [UInt8],
        from start: Int,
        folding fold: (UInt8) -> UInt8
    ) -> Int? {
        guard !needle.isEmpty, start < input.count else {
            return nil
        }
        var index = start
        let last = input.count - needle.count
        while index <= last {
            if fold(input[index]) == needle[0] {
                var matched = true
                for offset in 1..<needle.count where fold(input[index + offset]) != needle[offset] {
                    matched = false
                    break
                }
                if matched {
                    return index
                }
            }
            index += 1
        }
        return nil
    }
}
