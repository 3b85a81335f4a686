/// One `property: value` declaration from a style sheet or a `style` attribute.
struct CSSDeclaration: Sendable {
    /// Lowercased property name (custom properties keep their `--` prefix).
    var property: String
    /// The value as written, without `!important` and surrounding white space.
    var value: String
    var isImportant: Bool
    var line: Int
}

/// What the CSS scanner reports, in source order.
enum CSSItem: Sendable {
    /// An at-rule: lowercased name without `@`, and its prelude as written.
    case atRule(name: String, prelude: String, line: Int)
    /// The selector list of a style rule.
    case selector(String, line: Int)
    /// A style rule nested inside another rule's declarations (CSS Nesting).
    case nestedRule(String, line: Int)
    case declaration(CSSDeclaration)
    /// A `/* … */` comment.
    case comment(line: Int)
}
