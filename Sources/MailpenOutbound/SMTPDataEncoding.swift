/// Turns stored message bytes into the DATA stream (RFC 5321 §4.5.2), touching only what SMTP requires:
/// a line starting with a dot gets a second dot, a bare CR or LF becomes CRLF (RFC 5321 §2.3.8 allows them
/// only as line endings), a last line without an ending gets CRLF, and `.CRLF` ends the stream.
///
/// A message that already has CRLF line endings therefore arrives byte for byte as stored.
public enum SMTPDataEncoding {
    /// The DATA stream for `message`, ending in `.CRLF`.
    public static func encode(_ message: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 64 + 5)
        walk(message) { piece, _ in output.append(contentsOf: piece) }
        output.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return output
    }

    /// The size RFC 1870 asks for in `SIZE=`: the message with CRLF line endings, before dot-stuffing.
    public static func messageSize(of message: some Collection<UInt8>) -> Int {
        var size = 0
        walk(message) { piece, isStuffing in
            if !isStuffing { size += piece.count }
        }
        return size
    }

    /// Whether the message has octets above 127, which need `BODY=8BITMIME` (RFC 6152).
    public static func needs8BitTransport(_ message: some Collection<UInt8>) -> Bool {
        message.contains { $0 >= 0x80 }
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let stuffingDot: [UInt8] = [UInt8(ascii: ".")]

    /// Calls `emit` with the output in pieces: runs of message bytes, CRLFs and stuffing dots (flagged).
    private static func walk(_ message: some Collection<UInt8>, _ emit: (ArraySlice<UInt8>, _ isStuffing: Bool) -> Void)
    {
        let bytes = Array(message)
        var runStart = 0
        var index = 0
        var atLineStart = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                emit(bytes[runStart..<index], false)
                emit(crlf[...], false)
                // CRLF counts as one line ending; a CR or LF on its own is also one.
                index += byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
                runStart = index
                atLineStart = true
                continue
            }
            if atLineStart && byte == UInt8(ascii: ".") {
                emit(bytes[runStart..<index], false)
                emit(stuffingDot[...], true)
                runStart = index
            }
            atLineStart = false
            index += 1
        }
        emit(bytes[runStart..<bytes.count], false)
        if !atLineStart { emit(crlf[...], false) }
    }
}
