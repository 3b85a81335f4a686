import Foundation

/// Builds search texts in Mailpen's grammar from values a client gave.
enum SearchText {
    /// `value` as a quoted search value: `"…"` with `\"` and `\\` escaped.
    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
