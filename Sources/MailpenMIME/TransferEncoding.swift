#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Content-Transfer-Encoding handling (RFC 2045 §6): naming, decoding, sizing.
enum TransferEncoding {
    /// The encoding token of a header value: trimmed, lowercased, comments and
    /// trailing junk dropped; nil when empty.
    static func normalize(_ value: String) -> String? {
        for known in Self.knownNames where ByteText.equalsIgnoringCase(value, known) {
            return known
        }
        var bytes: [UInt8] = []
        for byte in value.utf8 {
            if ASCII.isWhitespace(byte) && bytes.isEmpty {
                continue
            }
            if ASCII.isWhitespace(byte) || byte == ASCII.semicolon || byte == ASCII.openParen {
                break
            }
            bytes.append(ASCII.lowercased(byte))
        }
        if bytes.count >= 2 && bytes.first == ASCII.quote && bytes.last == ASCII.quote {
            bytes = Array(bytes.dropFirst().dropLast())
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    static let knownNames = ["7bit", "8bit", "base64", "quoted-printable", "binary"]

    static func isKnown(_ encoding: String) -> Bool {
        switch encoding {
        case "7bit", "8bit", "binary", "base64", "quoted-printable":
            return true
        default:
            return false
        }
    }

    /// Encodings whose body bytes are the content as is (unknown ones are treated so too).
    static func isIdentity(_ encoding: String) -> Bool {
        encoding != "base64" && encoding != "quoted-printable"
    }

    /// Transfer-decodes `bytes`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, encoding: String) -> [UInt8] {
        switch encoding {
        case "base64":
            return Base64.decode(bytes)
        case "quoted-printable":
            return QuotedPrintable.decode(bytes)
        default:
            return Array(bytes)
        }
    }
}

/// One pass over a leaf body at parse time: its decoded size and the problems a
/// lint needs (bare LF, 8-bit data in a 7bit part, text invalid in UTF-8/US-ASCII).
enum BodyScanner {
    struct Result {
        var decodedSize: Int
        var problems: [MIMEProblem]
    }

    static func scan(
        _ buffer: UnsafeBufferPointer<UInt8>,
        range: Range<Int>,
        transferEncoding: String,
        validateCharset: String?
    ) -> Result {
        let body = UnsafeBufferPointer(rebasing: buffer[range])
        var problems: [MIMEProblem] = []
        if Self.hasBareLF(body) {
            problems.append(.bareLF)
        }
        var decodedSize = body.count
        switch transferEncoding {
        case "base64":
            decodedSize = Base64.decodedCount(body)
        case "quoted-printable":
            decodedSize = QuotedPrintable.decodedCount(body)
        default:
            let isASCII = ByteText.isASCII(body)
            if !isASCII && transferEncoding == "7bit" {
                problems.append(.invalidTransferEncoding("7bit"))
            }
            if let label = validateCharset, !isASCII {
                switch Charset.decoder(for: label) {
                case .ascii:
                    problems.append(.invalidCharsetData(label))
                case .utf8 where !UTF8Validation.isValid(body):
                    problems.append(.invalidCharsetData(label))
                default:
                    break
                }
            }
        }
        return Result(decodedSize: decodedSize, problems: problems)
    }

    static func hasBareLF(_ body: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = body.baseAddress else {
            return false
        }
        var index = 0
        let count = body.count
        while index < count {
            guard let found = memchr(base + index, Int32(ASCII.lf), count - index) else {
                return false
            }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if position == 0 || base[position - 1] != ASCII.cr {
                return true
            }
            index = position + 1
        }
        return false
    }
}

/// Allocation-free UTF-8 validation (RFC 3629: no overlongs, surrogates or > U+10FFFF).
enum UTF8Validation {
    /// The number of leading 7-bit bytes, checked eight at a time.
    @inline(__always)
    static func asciiPrefixLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else {
            return 0
        }
        let raw = UnsafeRawPointer(base)
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                break
            }
            index += 8
        }
        while index < count && base[index] < 0x80 {
            index += 1
        }
        return index
    }

    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = asciiPrefixLength(bytes)
        while index < bytes.count {
            guard let length = sequenceLength(bytes, at: index) else {
                return false
            }
            index += length
        }
        return true
    }

    /// The length of the well-formed UTF-8 sequence that starts at `index` (1 for ASCII), or nil when the
    /// bytes there are not one: a stray continuation byte, a cut-off sequence, an overlong form, a surrogate
    /// or a value past U+10FFFF.
    @inline(__always)
    static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let lead = bytes[index]
        if lead < 0x80 {
            return 1
        }
        var length = 0
        var minimum: UInt32 = 0
        var scalar: UInt32 = 0
        switch lead {
        case 0xC2...0xDF:
            length = 2
            minimum = 0x80
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            minimum = 0x800
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            minimum = 0x10000
            scalar = UInt32(lead & 0x07)
        default:
            return nil
        }
        guard index + length <= bytes.count else {
            return nil
        }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else {
                return nil
            }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) {
            return nil
        }
        return length
    }
}
