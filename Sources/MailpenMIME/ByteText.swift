#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Conversions between raw message bytes and Swift strings.
///
/// Mail headers are supposed to be ASCII (or UTF-8 under RFC 6532), but real
/// mail carries stray 8-bit bytes. These helpers decode UTF-8 where the bytes
/// form it and each other byte as Windows-1252/Latin-1, so no byte is ever lost
/// or turned into a replacement character silently.
package enum ByteText {
    /// Decodes `bytes` as UTF-8 when valid; otherwise the bytes that form UTF-8 as UTF-8 and the others as
    /// Windows-1252 (a superset of Latin-1).
    static func string(utf8OrLatin1 bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let string = validUTF8String(bytes) {
            return string
        }
        return Charset.decodeUTF8OrWindows1252(bytes)
    }

    /// `bytes` as a String when they are valid UTF-8, else nil. (Faster than the
    /// generic `String(validating:as:)`, which is not specialized across modules.)
    @inline(__always)
    static func validUTF8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard UTF8Validation.isValid(bytes) else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func string(utf8OrLatin1 bytes: ArraySlice<UInt8>) -> String {
        bytes.withUnsafeBufferPointer { string(utf8OrLatin1: $0) }
    }

    static func string(utf8OrLatin1 bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { string(utf8OrLatin1: $0) }
    }

    /// True when every byte is 7-bit.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        UTF8Validation.asciiPrefixLength(bytes) == bytes.count
    }

    /// ASCII-lowercases a string without touching non-ASCII characters.
    package static func lowercasedASCII(_ string: String) -> String {
        var needsWork = false
        for byte in string.utf8 where byte >= ASCII.upperA && byte <= ASCII.upperZ {
            needsWork = true
            break
        }
        if !needsWork {
            return string
        }
        let utf8 = string.utf8
        let bytes = [UInt8](unsafeUninitializedCapacity: utf8.count) { output, count in
            var index = 0
            for byte in utf8 {
                output[index] = ASCII.lowercased(byte)
                index += 1
            }
            count = index
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Trims spaces, tabs and line-ending bytes from both ends.
    static func trimmed(_ string: String) -> String {
        let utf8 = string.utf8
        guard let first = utf8.firstIndex(where: { !ASCII.isWhitespace($0) }) else {
            return ""
        }
        guard let last = utf8.lastIndex(where: { !ASCII.isWhitespace($0) }) else {
            return ""
        }
        if first == utf8.startIndex && utf8.index(after: last) == utf8.endIndex {
            return string
        }
        return String(string[first...last])
    }

    /// Case-insensitive ASCII comparison of two strings.
    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else {
            return false
        }
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                for index in 0..<a.count where ASCII.lowercased(a[index]) != ASCII.lowercased(b[index]) {
                    return false
                }
                return true
            }
        }
    }

    /// Replaces CRLF and lone CR with LF.
    static func normalizingNewlines(_ string: String) -> String {
        var copy = string
        return copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress, memchr(base, Int32(ASCII.cr), bytes.count) != nil else {
                return string
            }
            let normalized = [UInt8](unsafeUninitializedCapacity: bytes.count) { output, count in
                var written = 0
                var index = 0
                while index < bytes.count {
                    guard let found = memchr(base + index, Int32(ASCII.cr), bytes.count - index) else {
                        output.baseAddress.map { ($0 + written).update(from: base + index, count: bytes.count - index) }
                        written += bytes.count - index
                        break
                    }
                    let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    output.baseAddress.map { ($0 + written).update(from: base + index, count: position - index) }
                    written += position - index
                    output[written] = ASCII.lf
                    written += 1
                    index = position + 1
                    if index < bytes.count && base[index] == ASCII.lf {
                        index += 1
                    }
                }
                count = written
            }
            return String(decoding: normalized, as: UTF8.self)
        }
    }
}
