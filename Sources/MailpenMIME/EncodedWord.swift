/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header text.
///
/// Subjects, display names and (in the wild) filenames arrive encoded this way.
/// Decoding is lenient the way mail clients are: words are found even when glued
/// to other text, white space between adjacent encoded words is dropped, adjacent
/// words in the same charset are joined before charset conversion (so a UTF-8
/// character split across two words survives), and malformed words stay as written.
public enum EncodedWord {
    /// Decodes every encoded word in `value`; text outside encoded words is kept as is.
    public static func decode(_ value: String) -> String {
        let bytes = Array(value.utf8)
        guard bytes.count >= 8, containsOpener(bytes) else {
            return value
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        // The pending run of adjacent encoded words sharing one charset.
        var pendingCharset: String? = nil
        var pendingBytes: [UInt8] = []
        // White space seen after the last encoded word, dropped if another word follows.
        var gapStart = -1
        var literalStart = 0
        var terminatorSearchFrom = 0
        var terminator = -1
        var index = 0

        func flushPending() {
            if let charset = pendingCharset {
                out.append(contentsOf: Charset.decode(pendingBytes, label: charset).text.utf8)
                pendingCharset = nil
                pendingBytes.removeAll(keepingCapacity: true)
            }
        }

        while index + 1 < bytes.count {
            guard bytes[index] == ASCII.equals && bytes[index + 1] == ASCII.question else {
                index += 1
                continue
            }
            guard let word = parseWord(bytes, at: index, terminator: &terminator, searchFrom: &terminatorSearchFrom)
            else {
                index += 1
                continue
            }
            // Text between the previous word (or start) and this word.
            let isGapOnlyWhitespace =
                gapStart >= 0 && literalStart == gapStart
                && bytes[gapStart..<index].allSatisfy { ASCII.isWhitespace($0) }
            if !isGapOnlyWhitespace {
                flushPending()
                out.append(contentsOf: bytes[literalStart..<index])
            }
            let decoded = decodePayload(bytes, word: word)
            if pendingCharset != word.charset {
                flushPending()
                pendingCharset = word.charset
            }
            pendingBytes.append(contentsOf: decoded)
            index = word.end
            literalStart = index
            gapStart = index
        }
        flushPending()
        out.append(contentsOf: bytes[literalStart...])
        return String(decoding: out, as: UTF8.self)
    }

    private struct Word {
        var charset: String
        var isBase64: Bool
        var textStart: Int
        var textEnd: Int
        /// Index after the closing `?=`.
        var end: Int
    }

    private static func containsOpener(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == ASCII.equals && bytes[index + 1] == ASCII.question {
                return true
            }
            index += 1
        }
        return false
    }

    /// Parses `=?charset?X?text?=` at `start`. `terminator` caches the next `?=` at or
    /// after `searchFrom` so scanning stays linear on hostile input.
    private static func parseWord(_ bytes: [UInt8], at start: Int, terminator: inout Int, searchFrom: inout Int)
        -> Word?
    {
        var index = start + 2
        let charsetStart = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.question || ASCII.isWhitespace(byte) || byte == ASCII.equals {
                break
            }
            index += 1
            if index - charsetStart > 64 {
                return nil
            }
        }
        guard index < bytes.count, bytes[index] == ASCII.question, index > charsetStart else {
            return nil
        }
        var charsetEnd = index
        if let star = bytes[charsetStart..<charsetEnd].firstIndex(of: ASCII.asterisk) {
            charsetEnd = star  // RFC 2231 §5 language suffix
        }
        guard charsetEnd > charsetStart, index + 2 < bytes.count, bytes[index + 2] == ASCII.question else {
            return nil
        }
        let encoding = ASCII.lowercased(bytes[index + 1])
        guard encoding == 0x62 || encoding == 0x71 else {  // "b" or "q"
            return nil
        }
        let textStart = index + 3
        // Find the next "?=" at or after textStart.
        if terminator < textStart {
            var search = max(textStart, searchFrom)
            terminator = -1
            while search + 1 < bytes.count {
                if bytes[search] == ASCII.question && bytes[search + 1] == ASCII.equals {
                    terminator = search
                    break
                }
                search += 1
            }
            searchFrom = terminator >= 0 ? terminator : bytes.count
            if terminator < 0 {
                terminator = Int.max
            }
        }
        guard terminator != Int.max, terminator >= textStart else {
            return nil
        }
        // Encoded text may not span lines; white space inside is tolerated (as Python does).
        let charset = String(decoding: bytes[charsetStart..<charsetEnd], as: UTF8.self)
        return Word(
            charset: ByteText.lowercasedASCII(charset),
            isBase64: encoding == 0x62,
            textStart: textStart,
            textEnd: terminator,
            end: terminator + 2
        )
    }

    private static func decodePayload(_ bytes: [UInt8], word: Word) -> [UInt8] {
        let text = bytes[word.textStart..<word.textEnd]
        if word.isBase64 {
            return text.withUnsafeBufferPointer { Base64.decode($0) }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == ASCII.underscore {
                out.append(ASCII.space)
            } else if byte == ASCII.equals, index + 2 < text.endIndex,
                let high = ASCII.hexValue(text[index + 1]), let low = ASCII.hexValue(text[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
                continue
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
