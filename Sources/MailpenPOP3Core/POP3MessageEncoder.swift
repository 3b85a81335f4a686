/// Turns a message's raw bytes into the body of a RETR or TOP response (RFC 1939 §3): lines end in CRLF
/// (a bare LF or bare CR ends a line too, so no bare CR or LF reaches the client), lines starting with `.`
/// get one more, and the body ends in `.` CRLF.
enum POP3MessageEncoder {
    /// The whole message.
    static func retrieve(_ raw: [UInt8]) -> [UInt8] {
        encode(raw, bodyLines: nil)
    }

    /// The header, the blank line after it, and at most `bodyLines` lines of the body.
    static func top(_ raw: [UInt8], bodyLines: Int) -> [UInt8] {
        encode(raw, bodyLines: bodyLines)
    }

    private static func encode(_ raw: [UInt8], bodyLines: Int?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + raw.count / 32 + 3)
        var inBody = false
        var bodyLinesLeft = bodyLines ?? Int.max
        var lineStart = true
        var lineIsEmpty = true
        var index = 0
        while index < raw.count {
            if lineStart {
                if inBody {
                    if bodyLinesLeft == 0 { break }
                    bodyLinesLeft -= 1
                }
                if raw[index] == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                lineStart = false
                lineIsEmpty = true
            }
            let byte = raw[index]
            if byte == 0x0A || byte == 0x0D {
                // CRLF, bare LF and bare CR each end one line.
                if byte == 0x0D && index + 1 < raw.count && raw[index + 1] == 0x0A { index += 1 }
                out.append(contentsOf: [0x0D, 0x0A])
                if !inBody && lineIsEmpty { inBody = true }
                lineStart = true
            } else {
                out.append(byte)
                lineIsEmpty = false
            }
            index += 1
        }
        if !lineStart { out.append(contentsOf: [0x0D, 0x0A]) }
        out.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return out
    }
}
