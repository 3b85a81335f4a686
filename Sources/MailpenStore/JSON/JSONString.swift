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

    /// Appends `text` as a JSON string literal to JSON being written as a string.
    package static func append(_ text: String, to json: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        append(text, to: &bytes)
        json += String(decoding: bytes, as: UTF8.self)
    }

    /// A JSON string literal as `JSONEncoder` writes it with `.withoutEscapingSlashes`: quote, backslash and
    /// control characters escaped, the short forms where JSON has them, everything else as it is. Runs of
    /// bytes that need no escape are copied whole.
    package static func append(_ text: String, to json: inout [UInt8]) {
        json.append(quote)
        var text = text
        text.withUTF8 { bytes in
            var clean = 0
            for index in bytes.indices {
                let byte = bytes[index]
                if byte >= 0x20 && byte != quote && byte != backslash { continue }
                json.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean..<index]))
                json.append(backslash)
                switch byte {
                case quote, backslash: json.append(byte)
                case 0x08: json.append(UInt8(ascii: "b"))
                case 0x0C: json.append(UInt8(ascii: "f"))
                case 0x0A: json.append(UInt8(ascii: "n"))
                case 0x0D: json.append(UInt8(ascii: "r"))
                case 0x09: json.append(UInt8(ascii: "t"))
                default:
                    json.append(contentsOf: [
                        UInt8(ascii: "u"), zero, zero, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)],
                    ])
                }
                clean = index + 1
            }
            json.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[clean...]))
        }
        json.append(quote)
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let zero = UInt8(ascii: "0")
    private static let hexDigits = Array("0123456789abcdef".utf8)
}
