/// Writes JSON string literals by hand, byte for byte as `JSONEncoder` does with `.withoutEscapingSlashes`,
/// for the JSON written on every message or event (envelopes, summaries, webhook payloads, SSE), where a
/// `JSONEncoder` per string costs more than the rest of the work.
package enum JSONString {
    /// `text` as a JSON string literal, for the places that write JSON around it by hand.
    package static func quoted(_ text: String) -> String {
        var json = ""
        append(text, to: &json)
        return json
    }

    /// `texts` as a JSON array of string literals.
    package static func quotedArray(_ texts: [String]) -> String {
        "[" + texts.map(quoted).joined(separator: ",") + "]"
    }

    /// A JSON string literal as `JSONEncoder` writes it with `.withoutEscapingSlashes`: quote, backslash and
    /// control characters escaped, the short forms where JSON has them, everything else as it is.
    package static func append(_ text: String, to json: inout String) {
        json += "\""
        var clean = text.utf8.startIndex
        let utf8 = text.utf8
        var index = clean
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index = utf8.index(after: index)
                continue
            }
            json += String(Substring(utf8[clean..<index]))
            switch byte {
            case 0x22: json += "\\\""
            case 0x5C: json += "\\\\"
            case 0x08: json += "\\b"
            case 0x0C: json += "\\f"
            case 0x0A: json += "\\n"
            case 0x0D: json += "\\r"
            case 0x09: json += "\\t"
            default:
                let hex = String(byte, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
            index = utf8.index(after: index)
            clean = index
        }
        json += String(Substring(utf8[clean..<utf8.endIndex]))
        json += "\""
    }
}
