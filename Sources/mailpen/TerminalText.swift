/// Text from captured mail or from other servers, made safe to print to a terminal or a CI log: a subject or
/// an upstream's reply could otherwise carry escape sequences that move the cursor, erase lines, set the
/// window title or hide what follows.
enum TerminalText {
    /// `text` with every control character (C0, DEL, C1), and the characters that reorder or hide text
    /// (bidirectional marks, overrides and isolates, line and paragraph separators), written as `\u{…}`,
    /// and a backslash doubled, so that an escape can be told from text written to look like one.
    static func safe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0) || $0 == "\\" }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else if scalar == "\\" {
                result += "\\\\"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
