import Foundation

/// Text as the SQLite store keeps it: its driver hands SQLite C strings, which end at the first NUL, and
/// PostgreSQL refuses NUL in text, so both stores keep text up to its first NUL. Where one value is stored
/// and also split into rows (header lines), it is cut first, so that the rows come from what is stored.
package enum StoredText {
    package static func cut(_ text: String) -> String {
        guard let nul = text.utf8.firstIndex(of: 0) else { return text }
        return String(text[..<nul])
    }

    package static func cut(_ text: String?) -> String? {
        text.map(cut)
    }

    /// `text` with each NUL replaced by a space, for text that is searched rather than shown: cut at the NUL,
    /// the rest of a body or field would be hidden from search, and a NUL is no part of a word either way.
    package static func replacingNUL(_ text: String) -> String {
        let hasNUL =
            text.utf8.withContiguousStorageIfAvailable { bytes in
                bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false
            } ?? text.utf8.contains(0)
        guard hasNUL else { return text }
        return String(decoding: text.utf8.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Whether `text` holds a control character (C0 or DEL). A value checked against a limit must not: a
    /// NUL would have the stores keep less of it than was checked, and a line break would split the header
    /// or log line it goes into.
    package static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}
