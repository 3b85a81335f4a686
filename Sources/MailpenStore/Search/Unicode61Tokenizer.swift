/// Splits text into the words SQLite's FTS5 tokenizer `unicode61 remove_diacritics 2` makes of it, folded
/// as it folds them, so that a store other than SQLite can index and look up words with the same answers.
///
/// FTS5 reads a word as a run of characters that starts with one it counts as a letter or digit (which,
/// besides the letters, digits and private-use characters, takes in every unassigned code point) and goes on
/// through such characters and a few combining diacritics; everything else separates words. Each character
/// is folded on its own: to lower case, Latin letters without their diacritics, the combining diacritics
/// dropped. The tables (``Unicode61Tables``) were read off FTS5 itself, and a test checks every code point
/// against the SQLite the SQLite store runs on.
package enum Unicode61Tokenizer {
    /// The folded words of `text`, in order.
    package static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        forEachToken(in: text) { tokens.append(String(decoding: $0, as: UTF8.self)) }
        return tokens
    }

    /// Hands `body` the UTF-8 bytes of each folded word of `text`, in order (valid only during the call).
    package static func forEachToken(in text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var token: [UInt8] = []
        token.reserveCapacity(64)
        var inToken = false
        func finish() {
            token.withUnsafeBufferPointer(body)
            token.removeAll(keepingCapacity: true)
            inToken = false
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                // ASCII: letters and digits make words, upper case folds to lower; the rest separates.
                let byte = UInt8(value)
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    token.append(byte)
                    inToken = true
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    token.append(byte + 32)
                    inToken = true
                default:
                    if inToken { finish() }
                }
                continue
            }
            let kind = Self.kind(of: value)
            if kind == .word || (inToken && kind == .diacritic) {
                append(fold(value), to: &token)
                inToken = true
            } else if inToken {
                finish()
            }
        }
        if inToken { finish() }
    }

    private enum Kind {
        case word, diacritic, separator
    }

    private static func kind(of value: UInt32) -> Kind {
        if diacritics.contains(value) { return .diacritic }
        return isSeparator(value) ? .separator : .word
    }

    private static let diacritics = Set(Unicode61Tables.diacritics)

    /// Whether `value` falls in one of the separator ranges (a binary search over their first code points).
    private static func isSeparator(_ value: UInt32) -> Bool {
        let ranges = Unicode61Tables.separators
        var low = 0
        var high = ranges.count / 2
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle * 2 + 1] < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < ranges.count / 2 && ranges[low * 2] <= value
    }

    /// The folded code point, or 0 when the character is dropped.
    static func fold(_ value: UInt32) -> UInt32 {
        let runs = Unicode61Tables.folds
        var low = 0
        var high = runs.count / 4
        while low < high {
            let middle = (low + high) / 2
            if UInt32(runs[middle * 4 + 1]) < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low < runs.count / 4, UInt32(runs[low * 4]) <= value else { return value }
        let (mode, change) = (runs[low * 4 + 2], runs[low * 4 + 3])
        if mode == 1 { return UInt32(change) }
        return UInt32(Int64(value) + Int64(change))
    }

    /// Appends `value` in UTF-8 (nothing for 0, a dropped character).
    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        guard let scalar = Unicode.Scalar(value), value != 0 else { return }
        bytes.append(contentsOf: scalar.utf8)
    }
}
