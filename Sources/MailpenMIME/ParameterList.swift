/// A header value of the form `token *(";" attribute "=" value)`: Content-Type and
/// Content-Disposition (RFC 2045 §5.1, RFC 2183, RFC 2231).
///
/// Parsing is lenient in the ways real senders need: unquoted values with spaces,
/// missing or doubled semicolons, unterminated quotes, RFC 2231 continuations and
/// `charset'language'%XX` values, and RFC 2047-encoded names (`name="=?UTF-8?B?…?="`)
/// as Outlook and Gmail send them.
struct ParameterList {
    /// The leading token, lowercased and trimmed (e.g. `text/plain`, `attachment`).
    var token: String
    /// When the token is a valid `type/subtype` (RFC 2045 tokens), its two halves.
    var mediaType: (type: String, subtype: String)? = nil
    /// Parameters with lowercased names and decoded values; the first occurrence wins,
    /// and an RFC 2231 value wins over a plain one of the same name.
    var parameters: [String: String]

    init(token: String, mediaType: (type: String, subtype: String)? = nil, parameters: [String: String]) {
        self.token = token
        self.mediaType = mediaType
        self.parameters = parameters
    }

    /// RFC 2045 token characters: printable ASCII except tspecials.
    static func isToken(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes {
            switch byte {
            case 0...ASCII.space, 0x7F...:
                return false
            case ASCII.openParen, ASCII.closeParen, ASCII.lessThan, ASCII.greaterThan, ASCII.at, ASCII.comma,
                ASCII.semicolon, ASCII.colon, ASCII.backslash, ASCII.quote, ASCII.slash, ASCII.openBracket,
                ASCII.closeBracket, ASCII.question, ASCII.equals:
                return false
            default:
                continue
            }
        }
        return true
    }

    init(parsing value: String) {
        var value = value
        self = value.withUTF8 { Self.parse($0) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ParameterList {
        var index = 0
        // The token runs to the first ";" (or white space / comment before an attribute).
        while index < bytes.count && ASCII.isWhitespace(bytes[index]) {
            index += 1
        }
        let tokenStart = index
        while index < bytes.count && bytes[index] != ASCII.semicolon && !ASCII.isWhitespace(bytes[index])
            && bytes[index] != ASCII.openParen
        {
            index += 1
        }
        let tokenBytes = UnsafeBufferPointer(rebasing: bytes[tokenStart..<index])
        let token = Self.lowercasedString(tokenBytes)
        var mediaType: (type: String, subtype: String)? = nil
        if let slash = tokenBytes.firstIndex(of: ASCII.slash), slash > 0, slash + 1 < tokenBytes.count {
            let typeBytes = UnsafeBufferPointer(rebasing: tokenBytes[..<slash])
            let subtypeBytes = UnsafeBufferPointer(rebasing: tokenBytes[(slash + 1)...])
            if Self.isToken(typeBytes) && Self.isToken(subtypeBytes) {
                mediaType = (Self.lowercasedString(typeBytes), Self.lowercasedString(subtypeBytes))
            }
        }

        var plain: [String: String] = [:]
        // RFC 2231 sections: name → index → (value, isEncoded); rare, so created lazily.
        var sections: [String: [Int: (value: [UInt8], encoded: Bool)]] = [:]
        var sectionOrder: [String] = []

        while index < bytes.count {
            // Skip separators, white space and comments.
            let byte = bytes[index]
            if byte == ASCII.semicolon || ASCII.isWhitespace(byte) {
                index += 1
                continue
            }
            if byte == ASCII.openParen {
                index = Self.skipComment(bytes, from: index)
                continue
            }
            let nameStart = index
            while index < bytes.count && bytes[index] != ASCII.equals && bytes[index] != ASCII.semicolon {
                index += 1
            }
            guard index < bytes.count, bytes[index] == ASCII.equals else {
                continue  // attribute without value: ignored
            }
            var nameEnd = index
            while nameEnd > nameStart && ASCII.isWhitespace(bytes[nameEnd - 1]) {
                nameEnd -= 1
            }
            index += 1
            while index < bytes.count && ASCII.isWSP(bytes[index]) {
                index += 1
            }
            var valueRange = index..<index
            var quotedValue: [UInt8]? = nil
            if index < bytes.count && bytes[index] == ASCII.quote {
                index += 1
                let contentStart = index
                var hasEscape = false
                while index < bytes.count && bytes[index] != ASCII.quote {
                    if bytes[index] == ASCII.backslash && index + 1 < bytes.count {
                        hasEscape = true
                        index += 1
                    }
                    index += 1
                }
                valueRange = contentStart..<min(index, bytes.count)
                if hasEscape {
                    var unescaped: [UInt8] = []
                    var cursor = valueRange.lowerBound
                    while cursor < valueRange.upperBound {
                        if bytes[cursor] == ASCII.backslash && cursor + 1 < valueRange.upperBound {
                            cursor += 1
                        }
                        unescaped.append(bytes[cursor])
                        cursor += 1
                    }
                    quotedValue = unescaped
                }
                index += 1
                // Anything after the closing quote up to ";" is ignored.
                while index < bytes.count && bytes[index] != ASCII.semicolon {
                    index += 1
                }
            } else {
                let valueStart = index
                while index < bytes.count && bytes[index] != ASCII.semicolon {
                    index += 1
                }
                var end = index
                while end > valueStart && ASCII.isWhitespace(bytes[end - 1]) {
                    end -= 1
                }
                valueRange = valueStart..<end
            }
            guard nameEnd > nameStart else {
                continue
            }
            let nameBytes = UnsafeBufferPointer(rebasing: bytes[nameStart..<nameEnd])
            if let star = nameBytes.firstIndex(of: ASCII.asterisk) {
                // RFC 2231: name*, name*N, name*N*
                let base = Self.lowercasedString(UnsafeBufferPointer(rebasing: nameBytes[..<star]))
                var rest = nameBytes[(star + 1)...]
                var encoded = false
                if rest.last == ASCII.asterisk {
                    encoded = true
                    rest = rest.dropLast()
                }
                let section: Int
                if rest.isEmpty {
                    section = 0
                    encoded = true
                } else if rest.count <= 4, rest.allSatisfy(ASCII.isDigit) {
                    section = rest.reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
                } else {
                    continue
                }
                let sectionValue = quotedValue ?? Array(bytes[valueRange])
                if sections[base] == nil {
                    sections[base] = [:]
                    sectionOrder.append(base)
                }
                if sections[base]?[section] == nil {
                    sections[base]?[section] = (sectionValue, encoded)
                }
            } else {
                let name = Self.lowercasedString(nameBytes)
                if plain[name] == nil {
                    var value: String
                    if let quotedValue {
                        value = ByteText.string(utf8OrLatin1: quotedValue)
                    } else {
                        value = ByteText.string(utf8OrLatin1: UnsafeBufferPointer(rebasing: bytes[valueRange]))
                    }
                    if (name == "name" || name == "filename") && value.utf8.contains(ASCII.question) {
                        value = EncodedWord.decode(value)
                    }
                    plain[name] = value
                }
            }
        }

        for name in sectionOrder {
            guard let parts = sections[name] else {
                continue
            }
            plain[name] = Self.joinSections(parts)
        }
        return ParameterList(token: token, mediaType: mediaType, parameters: plain)
    }

    /// ASCII-lowercased String of `bytes`.
    static func lowercasedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var hasUpper = false
        for byte in bytes where byte >= ASCII.upperA && byte <= ASCII.upperZ {
            hasUpper = true
            break
        }
        if !hasUpper {
            return ByteText.string(utf8OrLatin1: bytes)
        }
        let lowered = [UInt8](unsafeUninitializedCapacity: bytes.count) { output, count in
            for index in 0..<bytes.count {
                output[index] = ASCII.lowercased(bytes[index])
            }
            count = bytes.count
        }
        return ByteText.string(utf8OrLatin1: lowered)
    }

    /// Joins RFC 2231 sections in order; the first encoded section may carry
    /// `charset'language'`, and encoded sections are percent-decoded.
    private static func joinSections(_ parts: [Int: (value: [UInt8], encoded: Bool)]) -> String {
        var charset: String? = nil
        var bytes: [UInt8] = []
        for key in parts.keys.sorted() {
            guard let part = parts[key] else {
                continue
            }
            var value = part.value[...]
            if part.encoded {
                if key == 0 {
                    // charset'language'value
                    if let first = value.firstIndex(of: ASCII.apostrophe),
                        let second = value[(first + 1)...].firstIndex(of: ASCII.apostrophe)
                    {
                        let label = String(decoding: value[value.startIndex..<first], as: UTF8.self)
                        if !label.isEmpty {
                            charset = label
                        }
                        value = value[(second + 1)...]
                    }
                }
                bytes.append(contentsOf: percentDecode(value))
            } else {
                bytes.append(contentsOf: value)
            }
        }
        if let charset {
            return Charset.decode(bytes, label: charset).text
        }
        return ByteText.string(utf8OrLatin1: bytes)
    }

    static func percentDecode(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            if byte == ASCII.percent, index + 2 < value.endIndex,
                let high = ASCII.hexValue(value[index + 1]), let low = ASCII.hexValue(value[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
                continue
            }
            out.append(byte)
            index += 1
        }
        return out
    }

    /// Skips a (possibly nested) comment starting at `start` ("(").
    static func skipComment(_ bytes: [UInt8], from start: Int) -> Int {
        bytes.withUnsafeBufferPointer { skipComment($0, from: start) }
    }

    static func skipComment(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.backslash {
                index += 2
                continue
            }
            if byte == ASCII.openParen {
                depth += 1
            } else if byte == ASCII.closeParen {
                depth -= 1
                if depth == 0 {
                    return index + 1
                }
            }
            index += 1
        }
        return bytes.count
    }
}
