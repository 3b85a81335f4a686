import Synchronization

/// Charset conversion to UTF-8 for MIME text and encoded words.
///
/// UTF-8, US-ASCII and Latin-1/Windows-1252 are decoded natively (they cover most
/// mail); everything else goes through glibc `iconv`, which on Linux covers more
/// charsets than Foundation's `String.Encoding`. Decoding never fails: data that is
/// invalid in the declared charset is decoded as UTF-8 when valid, else as
/// Windows-1252, and the problem is reported. Text labelled Latin-1/Windows-1252 or
/// US-ASCII that is valid UTF-8 is decoded as UTF-8 (a mislabelled UTF-8 body).
enum Charset {
    /// How a charset label is decoded.
    enum Decoder: Equatable, Sendable {
        case utf8
        case ascii
        /// ISO-8859-1 and Windows-1252, both decoded as Windows-1252 (the WHATWG rule):
        /// senders that say Latin-1 routinely mean Windows-1252 ("smart quotes").
        case windows1252
        /// A glibc iconv converter name.
        case iconv(String)
        case unknown
    }

    /// Normalizes a charset label: trimmed, unquoted, ASCII-lowercased.
    static func normalizedLabel(_ label: String) -> String {
        // Fast path: already a bare lowercase label.
        var isNormal = !label.isEmpty
        for byte in label.utf8 {
            if byte <= ASCII.space || byte >= 0x7F || byte == ASCII.quote
                || (byte >= ASCII.upperA && byte <= ASCII.upperZ)
            {
                isNormal = false
                break
            }
        }
        if isNormal {
            return label
        }
        var label = label
        return label.withUTF8 { bytes in
            var lower = 0
            var upper = bytes.count
            while lower < upper && (ASCII.isWhitespace(bytes[lower]) || bytes[lower] == ASCII.quote) {
                lower += 1
            }
            while upper > lower && (ASCII.isWhitespace(bytes[upper - 1]) || bytes[upper - 1] == ASCII.quote) {
                upper -= 1
            }
            return ParameterList.lowercasedString(UnsafeBufferPointer(rebasing: bytes[lower..<upper]))
        }
    }

    private static let table: [String: Decoder] = {
        var table: [String: Decoder] = [:]
        for name in ["utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8"] {
            table[name] = .utf8
        }
        for name in [
            "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cp367", "ibm367", "csascii", "iso-ir-6", "646",
        ] {
            table[name] = .ascii
        }
        for name in [
            "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "cp819", "ibm819",
            "iso-ir-100", "csisolatin1", "8859-1", "iso88591", "windows-1252", "cp1252", "x-cp1252", "win-1252",
            "ms-ansi",
        ] {
            table[name] = .windows1252
        }
        let iconvNames: [String: String] = [
            "gb2312": "GBK", "csgb2312": "GBK", "euc-cn": "GBK", "x-euc-cn": "GBK", "gb_2312-80": "GBK",
            "gbk": "GBK", "x-gbk": "GBK", "cp936": "GBK", "ms936": "GBK", "windows-936": "GBK",
            "gb18030": "GB18030",
            "big5": "BIG5", "big-5": "BIG5", "csbig5": "BIG5", "x-x-big5": "BIG5", "cn-big5": "BIG5",
            "big5-hkscs": "BIG5-HKSCS", "big5hkscs": "BIG5-HKSCS", "cp950": "CP950",
            "shift_jis": "CP932", "shift-jis": "CP932", "sjis": "CP932", "x-sjis": "CP932", "ms_kanji": "CP932",
            "csshiftjis": "CP932", "windows-31j": "CP932", "cp932": "CP932", "ms932": "CP932",
            "euc-jp": "EUC-JP", "x-euc-jp": "EUC-JP", "eucjp": "EUC-JP", "cseucpkdfmtjapanese": "EUC-JP",
            "iso-2022-jp": "ISO-2022-JP", "csiso2022jp": "ISO-2022-JP", "iso-2022-jp-2": "ISO-2022-JP-2",
            "euc-kr": "EUC-KR", "euckr": "EUC-KR", "cseuckr": "EUC-KR",
            "ks_c_5601-1987": "CP949", "ks_c_5601": "CP949", "ks_c_5601-1989": "CP949", "ksc5601": "CP949",
            "cp949": "CP949", "uhc": "CP949", "windows-949": "CP949", "iso-2022-kr": "ISO-2022-KR",
            "koi8-r": "KOI8-R", "koi8r": "KOI8-R", "cskoi8r": "KOI8-R", "koi8-u": "KOI8-U", "koi8u": "KOI8-U",
            "koi8-ru": "KOI8-RU", "tis-620": "TIS-620", "windows-874": "CP874", "cp874": "CP874",
            "utf-16": "UTF-16", "utf-16le": "UTF-16LE", "utf-16be": "UTF-16BE", "utf-32": "UTF-32",
            "utf-32le": "UTF-32LE", "utf-32be": "UTF-32BE", "utf-7": "UTF-7", "unicode-1-1-utf-7": "UTF-7",
            "macintosh": "MACINTOSH", "mac": "MACINTOSH", "x-mac-roman": "MACINTOSH", "ibm850": "IBM850",
            "cp850": "IBM850", "ibm866": "IBM866", "cp866": "IBM866",
        ]
        for (label, name) in iconvNames {
            table[label] = .iconv(name)
        }
        for number in 1250...1258 where number != 1252 {
            for prefix in ["windows-", "cp", "x-cp", "win-", "ms-"] {
                table["\(prefix)\(number)"] = .iconv("CP\(number)")
            }
        }
        for number in 2...16 where number != 12 {
            for prefix in ["iso-8859-", "iso8859-", "iso_8859-", "iso8859_", "8859-"] {
                table["\(prefix)\(number)"] = .iconv("ISO-8859-\(number)")
            }
        }
        return table
    }()

    /// Labels outside the table that iconv was asked about.
    private static let probed = Mutex<[String: Decoder]>([:])

    /// How text labelled `label` is decoded; `.unknown` when nothing can decode it.
    static func decoder(for label: String) -> Decoder {
        let name = normalizedLabel(label)
        if let decoder = table[name] {
            return decoder
        }
        if let decoder = probed.withLock({ $0[name] }) {
            return decoder
        }
        var decoder = Decoder.unknown
        let iconvName = name.uppercased()
        // Only plain names reach iconv: no "/" (iconv options such as //IGNORE), no paths.
        let isPlainName = name.utf8.allSatisfy { byte in
            ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == ASCII.minus || byte == ASCII.underscore
                || byte == ASCII.dot || byte == ASCII.colon
        }
        if !name.isEmpty && name.utf8.count < 40 && isPlainName && ICONV.isAvailable(iconvName) {
            decoder = .iconv(iconvName)
        }
        probed.withLock { cache in
            if cache.count < 256 {
                cache[name] = decoder
            }
        }
        return decoder
    }

    /// The decoder of a part's charset label; a part without one is US-ASCII.
    static func decoder(forLabel label: String?) -> Decoder {
        label.map { decoder(for: $0) } ?? .ascii
    }

    /// True when `label` names a charset this module can decode.
    static func isKnown(_ label: String) -> Bool {
        decoder(for: label) != .unknown
    }

    /// Decodes `bytes` labelled `label` (nil means US-ASCII) to a String. Never fails:
    /// invalid or unknown data falls back to UTF-8, with Windows-1252 for the bytes that are not.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, label: String?) -> (text: String, problem: MIMEProblem?) {
        let name = label.map(normalizedLabel) ?? "us-ascii"
        let decoder = self.decoder(forLabel: label)
        switch decoder {
        case .utf8:
            if let text = ByteText.validUTF8String(bytes) {
                return (text, nil)
            }
            return (decodeUTF8OrWindows1252(bytes), .invalidCharsetData(name))
        case .ascii:
            if ByteText.isASCII(bytes) {
                return (String(decoding: bytes, as: UTF8.self), nil)
            }
            return (fallback(bytes), .invalidCharsetData(name))
        case .windows1252:
            // Text labelled Latin-1 that is valid UTF-8 (and not plain ASCII) is UTF-8
            // mislabelled by the sender; real Latin-1 text is practically never valid UTF-8.
            if !ByteText.isASCII(bytes), let text = ByteText.validUTF8String(bytes) {
                return (text, .invalidCharsetData(name))
            }
            return (decodeWindows1252(bytes), nil)
        case .iconv(let iconvName):
            if let text = ICONV.decode(bytes, from: iconvName) {
                return (text, nil)
            }
            return (fallback(bytes), .invalidCharsetData(name))
        case .unknown:
            return (fallback(bytes), .unknownCharset(name))
        }
    }

    static func decode(_ bytes: [UInt8], label: String?) -> (text: String, problem: MIMEProblem?) {
        bytes.withUnsafeBufferPointer { decode($0, label: label) }
    }

    /// UTF-8 when valid, else UTF-8 where it is and Windows-1252 for the other bytes.
    static func fallback(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let text = ByteText.validUTF8String(bytes) {
            return text
        }
        return decodeUTF8OrWindows1252(bytes)
    }

    /// Windows-1252 code points for 0x80...0x9F; 0 marks the five undefined bytes,
    /// which are passed through as the C1 control of the same value (as Latin-1 does).
    private static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// Decodes Windows-1252 (every byte maps to a character; undefined bytes as C1 controls).
    static func decodeWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 2)
        for byte in bytes {
            if byte < 0x80 {
                out.append(byte)
                continue
            }
            appendUTF8(windows1252Scalar(byte), to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes the well-formed UTF-8 sequences as UTF-8 and every other byte as Windows-1252. Text that is
    /// UTF-8 but for a stray byte keeps its UTF-8 characters (decoding it all as Windows-1252 would garble
    /// each of them), and Latin-1 text still reads as Latin-1: its 8-bit bytes rarely form UTF-8.
    static func decodeUTF8OrWindows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 2)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                out.append(byte)
                index += 1
            } else if let length = UTF8Validation.sequenceLength(bytes, at: index) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
                index += length
            } else {
                appendUTF8(windows1252Scalar(byte), to: &out)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The character Windows-1252 gives an 8-bit byte.
    @inline(__always)
    private static func windows1252Scalar(_ byte: UInt8) -> UInt32 {
        if byte >= 0x80 && byte < 0xA0 {
            let mapped = windows1252High[Int(byte - 0x80)]
            if mapped != 0 {
                return UInt32(mapped)
            }
        }
        return UInt32(byte)
    }

    static func decodeWindows1252(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { decodeWindows1252($0) }
    }

    /// Appends the UTF-8 encoding of a scalar value (invalid values become U+FFFD).
    @inline(__always)
    static func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
        var scalar = value
        if scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) {
            scalar = 0xFFFD
        }
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}
