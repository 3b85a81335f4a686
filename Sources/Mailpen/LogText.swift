/// Text from a client (a subject, an address, an AUTH username) made safe for a one-line log entry: control
/// characters, line separators, quotes and backslashes are escaped, so that a hostile message cannot forge
/// log lines or break out of the quoted field it is logged in.
enum LogText {
    static func escaped(_ text: String) -> String {
        // Most text is printable ASCII without quotes: returned as it is, at the cost of one scan.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x5C }) { return text }
        var output = ""
        output.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": output += "\\r"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}":
                output += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
