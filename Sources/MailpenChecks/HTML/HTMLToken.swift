/// One attribute of a start tag: lowercased name, value with character references decoded.
struct HTMLAttribute: Sendable, Equatable {
    var name: String
    var value: String
    /// False for a bare attribute (`<td nowrap>`).
    var hasValue: Bool
}

/// A start or end tag as written, with the line it starts on.
struct HTMLTag: Sendable {
    /// Lowercased element name.
    var name: String
    var attributes: [HTMLAttribute]
    var isEndTag: Bool
    var isSelfClosing: Bool
    /// Byte offset of the `<` within the HTML.
    var offset: Int
    var line: Int

    /// The value of the first attribute called `name` (lowercase), or nil.
    func attribute(_ name: String) -> String? {
        for attribute in self.attributes where attribute.name == name {
            return attribute.value
        }
        return nil
    }

    func hasAttribute(_ name: String) -> Bool {
        self.attributes.contains { $0.name == name }
    }
}

/// What the tokenizer produces: the HTML's structure without a tree.
enum HTMLToken: Sendable {
    case tag(HTMLTag)
    /// Character data between tags (not decoded), as a byte range of the HTML.
    case text(Range<Int>)
    /// The content of `<style>`, `<script>`, `<title>`, `<textarea>` … up to its end tag.
    case rawText(element: String, range: Range<Int>, line: Int)
    /// `<!-- … -->` (range of the content between the markers).
    case comment(range: Range<Int>, line: Int)
    /// `<!DOCTYPE …>` with its content after the keyword, trimmed.
    case doctype(String, line: Int)
}
