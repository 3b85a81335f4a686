/// Decodes the character references that matter in attribute values and link text.
///
/// URLs in `href` are routinely written with `&amp;`; numeric references and the
/// handful of named ones mail templates use are enough to get the real URL and text.
/// Unknown references are kept as written, like browsers do.
enum HTMLEntities {
    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "copy": "\u{A9}", "reg": "\u{AE}", "trade": "\u{2122}", "hellip": "\u{2026}",
        "mdash": "\u{2014}", "ndash": "\u{2013}", "lsquo": "\u{2018}", "rsquo": "\u{2019}",
        "ldquo": "\u{201C}", "rdquo": "\u{201D}", "bull": "\u{2022}", "middot": "\u{B7}",
        "euro": "\u{20AC}", "pound": "\u{A3}", "zwnj": "\u{200C}", "zwj": "\u{200D}",
        "shy": "\u{AD}", "laquo": "\u{AB}", "raquo": "\u{BB}", "times": "\u{D7}",
    ]

    /// `text` with character references replaced.
    static func decode(_ text: String) -> String {
        guard text.utf8.contains(Bytes.ampersand) else {
            return text
        }
        return self.decode(Array(text.utf8), 0..<text.utf8.count)
    }

    /// `bytes[range]` as a string with character references replaced.
    static func decode(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let byte = bytes[index]
            guard byte == Bytes.ampersand else {
                out.append(byte)
                index += 1
                continue
            }
            if let (scalar, length) = self.reference(bytes, at: index, end: end) {
                out.append(contentsOf: String(scalar).utf8)
                index += length
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The reference starting with `&` at `start`: its text and its length in bytes.
    private static func reference(_ bytes: [UInt8], at start: Int, end: Int) -> (String, Int)? {
        var index = start + 1
        guard index < end else {
            return nil
        }
        if bytes[index] == Bytes.hash {
            index += 1
            var hex = false
            if index < end && Bytes.lowercased(bytes[index]) == 0x78 {  // x
                hex = true
                index += 1
            }
            var value: UInt32 = 0
            var digits = 0
            while index < end, digits < 8 {
                let byte = bytes[index]
                if Bytes.isDigit(byte) {
                    value = value &* (hex ? 16 : 10) &+ UInt32(byte - 0x30)
                } else if hex && Bytes.isHexDigit(byte) {
                    value = value &* 16 &+ UInt32(Bytes.lowercased(byte) - 0x61 + 10)
                } else {
                    break
                }
                digits += 1
                index += 1
            }
            guard digits > 0 else {
                return nil
            }
            if index < end && bytes[index] == Bytes.semicolon {
                index += 1
            }
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            return (String(Character(scalar == "\0" ? "\u{FFFD}" : scalar)), index - start)
        }
        var nameEnd = index
        while nameEnd < end, nameEnd - index < 10, Bytes.isLetter(bytes[nameEnd]) || Bytes.isDigit(bytes[nameEnd]) {
            nameEnd += 1
        }
        guard nameEnd > index else {
            return nil
        }
        let name = String(decoding: bytes[index..<nameEnd], as: UTF8.self)
        guard let text = self.named[name] ?? self.named[Bytes.asciiLowercased(name)] else {
            return nil
        }
        if nameEnd < end && bytes[nameEnd] == Bytes.semicolon {
            nameEnd += 1
        }
        return (text, nameEnd - start)
    }
}
