/// Byte constants and classification helpers shared by the grammar scanners.
///
/// Everything here scans raw `UInt8` buffers; these helpers keep the scanners free of
/// magic numbers. Shared with MailpenChecks' HTML and CSS scanners.
package enum ASCII {
    package static let tab: UInt8 = 0x09
    package static let lf: UInt8 = 0x0A
    package static let formFeed: UInt8 = 0x0C
    package static let cr: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    package static let exclamation: UInt8 = 0x21
    package static let quote: UInt8 = 0x22
    package static let hash: UInt8 = 0x23
    package static let percent: UInt8 = 0x25
    package static let ampersand: UInt8 = 0x26
    package static let apostrophe: UInt8 = 0x27
    package static let openParen: UInt8 = 0x28
    package static let closeParen: UInt8 = 0x29
    package static let asterisk: UInt8 = 0x2A
    package static let plus: UInt8 = 0x2B
    package static let comma: UInt8 = 0x2C
    package static let minus: UInt8 = 0x2D
    package static let dot: UInt8 = 0x2E
    package static let slash: UInt8 = 0x2F
    package static let zero: UInt8 = 0x30
    package static let nine: UInt8 = 0x39
    package static let colon: UInt8 = 0x3A
    package static let semicolon: UInt8 = 0x3B
    package static let lessThan: UInt8 = 0x3C
    package static let equals: UInt8 = 0x3D
    package static let greaterThan: UInt8 = 0x3E
    package static let question: UInt8 = 0x3F
    package static let at: UInt8 = 0x40
    package static let upperA: UInt8 = 0x41
    package static let upperF: UInt8 = 0x46
    package static let upperZ: UInt8 = 0x5A
    package static let openBracket: UInt8 = 0x5B
    package static let backslash: UInt8 = 0x5C
    package static let closeBracket: UInt8 = 0x5D
    package static let underscore: UInt8 = 0x5F
    package static let lowerA: UInt8 = 0x61
    package static let lowerF: UInt8 = 0x66
    package static let lowerX: UInt8 = 0x78
    package static let lowerZ: UInt8 = 0x7A
    package static let openBrace: UInt8 = 0x7B
    package static let closeBrace: UInt8 = 0x7D
    package static let tilde: UInt8 = 0x7E

    /// Folding white space inside a header line: space or horizontal tab.
    @inline(__always)
    package static func isWSP(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// Any white space including line-ending bytes.
    @inline(__always)
    package static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == cr || byte == lf || byte == formFeed || byte == 0x0B
    }

    /// HTML and CSS white space: space, tab, LF, FF, CR (not the vertical tab).
    @inline(__always)
    package static func isHTMLSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == lf || byte == cr || byte == formFeed
    }

    @inline(__always)
    package static func isDigit(_ byte: UInt8) -> Bool {
        byte >= zero && byte <= nine
    }

    @inline(__always)
    package static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= lowerA && (byte | 0x20) <= lowerZ
    }

    @inline(__always)
    package static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= lowerA && (byte | 0x20) <= lowerF)
    }

    @inline(__always)
    package static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= upperA && byte <= upperZ ? byte | 0x20 : byte
    }

    /// The value of a hexadecimal digit (either case), or nil.
    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case zero...nine: return byte - zero
        case upperA...upperF: return byte - upperA + 10
        case lowerA...lowerF: return byte - lowerA + 10
        default: return nil
        }
    }

    package static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
