import MailpenMIME

/// Case-insensitive search and white-space trimming over UTF-8 bytes, shared by the HTML,
/// CSS and message scanners, which all work on bytes so that broken input costs no more
/// than well-formed input. (The byte constants and classes are MailpenMIME's `ASCII`.)
enum Bytes {
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
        return String(decoding: bytes[range].lazy.map(ASCII.lowercased), as: UTF8.self)
    }

    /// True when `bytes[offset...]` starts with `prefix` (given in lowercase), ignoring ASCII case.
    static func hasPrefix(_ bytes: [UInt8], at offset: Int, lowercase prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard offset >= 0, offset + count <= bytes.count else {
            return false
        }
        return prefix.withUTF8Buffer { pattern in
            for index in 0..<count where ASCII.lowercased(bytes[offset + index]) != pattern[index] {
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
                    if ASCII.lowercased(buffer[index]) == first {
                        var offset = 1
                        while offset < count && ASCII.lowercased(buffer[index + offset]) == pattern[offset] {
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

    /// `text` without leading and trailing HTML white space.
    static func trimmed(_ text: some StringProtocol) -> String {
        let utf8 = Array(text.utf8)
        var start = 0
        var end = utf8.count
        while start < end && ASCII.isHTMLSpace(utf8[start]) {
            start += 1
        }
        while end > start && ASCII.isHTMLSpace(utf8[end - 1]) {
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
            if ASCII.isHTMLSpace(byte) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(ASCII.space)
                pendingSpace = false
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
