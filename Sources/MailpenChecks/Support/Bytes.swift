/// Byte-level helpers shared by the HTML, CSS and message scanners, which all work on
/// UTF-8 bytes so that broken input costs no more than well-formed input.
enum Bytes {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let formFeed: UInt8 = 0x0C
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let exclamation: UInt8 = 0x21
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let percent: UInt8 = 0x25
    static let ampersand: UInt8 = 0x26
    static let apostrophe: UInt8 = 0x27
    static let openParen: UInt8 = 0x28
    static let closeParen: UInt8 = 0x29
    static let asterisk: UInt8 = 0x2A
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let lessThan: UInt8 = 0x3C
    static let equals: UInt8 = 0x3D
    static let greaterThan: UInt8 = 0x3E
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let tilde: UInt8 = 0x7E

    /// HTML and CSS white space: space, tab, LF, FF, CR.
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == lf || byte == cr || byte == formFeed
    }

    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// A string from `bytes[range]`, ASCII letters lowercased.
    static func lowercasedString(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        var hasUpper = false
        for index in range where bytes[index] >= 0x41 && bytes[index] <= 0x5A {
            hasUpper = true
            break
        }
        if !hasUpper {
            return String(decoding: bytes[range], as: UTF8.self)
        }
        return String(decoding: bytes[range].lazy.map(lowercased), as: UTF8.self)
    }

    /// True when `bytes[offset...]` starts with `prefix` (given in lowercase), ignoring ASCII case.
    static func hasPrefix(_ bytes: [UInt8], at offset: Int, lowercase prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard offset >= 0, offset + count <= bytes.count else {
            return false
        }
        return prefix.withUTF8Buffer { pattern in
            for index in 0..<count where lowercased(bytes[offset + index]) != pattern[index] {
                return false
            }
            return true
        }
    }

    /// True when `bytes[range]` contains `needle` (given in lowercase), ignoring ASCII case.
    static func contains(_ bytes: [UInt8], _ range: Range<Int>, lowercase needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard count > 0, range.count >= count else {
            return count == 0
        }
        return needle.withUTF8Buffer { pattern in
            bytes.withUnsafeBufferPointer { buffer in
                let first = pattern[0]
                var index = range.lowerBound
                let last = range.upperBound - count
                while index <= last {
                    if lowercased(buffer[index]) == first {
                        var offset = 1
                        while offset < count && lowercased(buffer[index + offset]) == pattern[offset] {
                            offset += 1
                        }
                        if offset == count {
                            return true
                        }
                    }
                    index += 1
                }
                return false
            }
        }
    }

    /// True when `text` contains `needle` byte for byte.
    static func contains(_ text: String, exactly needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else {
            return true
        }
        var text = text
        return text.withUTF8 { buffer in
            guard buffer.count >= pattern.count else {
                return false
            }
            var index = 0
            let last = buffer.count - pattern.count
            while index <= last {
                if buffer[index] == first {
                    var offset = 1
                    while offset < pattern.count && buffer[index + offset] == pattern[offset] {
                        offset += 1
                    }
                    if offset == pattern.count {
                        return true
                    }
                }
                index += 1
            }
            return false
        }
    }

    /// True when `text` contains `needle` (given in lowercase), ignoring ASCII case.
    static func contains(_ text: String, lowercase needle: StaticString) -> Bool {
        let bytes = Array(text.utf8)
        return self.contains(bytes, 0..<bytes.count, lowercase: needle)
    }

    /// `text` with ASCII letters lowercased (other characters unchanged).
    static func asciiLowercased(_ text: String) -> String {
        var needsWork = false
        for byte in text.utf8 where byte >= 0x41 && byte <= 0x5A {
            needsWork = true
            break
        }
        if !needsWork {
            return text
        }
        return String(decoding: text.utf8.map(lowercased), as: UTF8.self)
    }

    /// `text` without leading and trailing HTML white space.
    static func trimmed(_ text: some StringProtocol) -> String {
        let utf8 = Array(text.utf8)
        var start = 0
        var end = utf8.count
        while start < end && isSpace(utf8[start]) {
            start += 1
        }
        while end > start && isSpace(utf8[end - 1]) {
            end -= 1
        }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    /// Runs of white space collapsed to one space, ends trimmed.
    static func collapsingWhitespace(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            if isSpace(byte) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(space)
                pendingSpace = false
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
