/// A message's HTML body tokenized once, with line numbers, for the checks that read it
/// (compatibility, links, spam rules).
struct HTMLDocument: Sendable {
    /// The HTML as UTF-8 bytes; token ranges point into it.
    let bytes: [UInt8]
    let lines: LineIndex
    let tokens: [HTMLToken]

    init(_ html: String) {
        self.bytes = Array(html.utf8)
        self.lines = LineIndex(self.bytes)
        self.tokens = HTMLTokenizer.tokenize(self.bytes, lines: self.lines)
    }

    /// The bytes of `range` as a string (not decoded).
    func string(_ range: Range<Int>) -> String {
        String(decoding: self.bytes[range], as: UTF8.self)
    }

    /// Start tags in document order.
    var startTags: [HTMLTag] {
        self.tokens.compactMap { token in
            if case .tag(let tag) = token, !tag.isEndTag {
                return tag
            }
            return nil
        }
    }

    /// Every CSS item of the document: `<style>` sheets and `style` attributes, in order.
    func cssItems() -> [CSSItem] {
        var items: [CSSItem] = []
        for token in self.tokens {
            switch token {
            case .tag(let tag) where !tag.isEndTag:
                if let style = tag.attribute("style") {
                    items.append(contentsOf: CSSScanner.scanInlineStyle(style, line: tag.line))
                }
            case .rawText(element: "style", let range, line: _):
                let lines = self.lines
                items.append(
                    contentsOf: CSSScanner.scanStyleSheet(self.bytes, range: range, line: { lines.line(at: $0) })
                )
            default:
                break
            }
        }
        return items
    }
}
