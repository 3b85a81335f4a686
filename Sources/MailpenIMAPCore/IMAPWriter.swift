/// Builds IMAP response bytes (RFC 3501 §4): atoms, quoted strings, literals, NIL and lists, choosing a
/// literal whenever a string cannot be quoted (8-bit, CR, LF or NUL) so no bare CR or LF ever appears
/// inside a response line.
struct IMAPWriter {
    private(set) var bytes: [UInt8] = []

    /// Quoted strings longer than this are sent as literals, which clients read without unescaping.
    static let longestQuoted = 1024

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
    mutating func crlf() { bytes.append(contentsOf: [0x0D, 0x0A]) }
    mutating func space() { bytes.append(0x20) }

    /// A string: quoted when it can be, else a literal.
    mutating func string(_ value: some Collection<UInt8>) {
        if value.count <= Self.longestQuoted, value.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            bytes.append(UInt8(ascii: "\""))
            for byte in value {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            literal(value)
        }
    }

    mutating func string(_ value: String) { string(Array(value.utf8)) }

    mutating func nstring(_ value: String?) {
        if let value { string(value) } else { raw("NIL") }
    }

    mutating func literal(_ value: some Collection<UInt8>) {
        raw("{\(value.count)}")
        crlf()
        bytes.append(contentsOf: value)
    }

    /// An untagged response line: `* ` + text + CRLF.
    mutating func untagged(_ text: String) {
        raw("* ")
        raw(text)
        crlf()
    }

    /// A tagged status line.
    mutating func tagged(_ tag: String, _ status: IMAPStatus, _ text: String) {
        raw(tag)
        space()
        raw(status.rawValue)
        space()
        raw(text)
        crlf()
    }
}

/// The status of a tagged or untagged status response.
public enum IMAPStatus: String, Sendable, Hashable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
}
