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
        walk(message) { piece in
            switch piece {
            case .run(let bytes): output.append(contentsOf: bytes)
            case .lineEnd: output.append(contentsOf: [0x0D, 0x0A])
            case .stuffingDot: output.append(UInt8(ascii: "."))
            }
        }
        output.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return output
    }

    /// The size RFC 1870 asks for in `SIZE=`: the message with CRLF line endings, before dot-stuffing.
    public static func messageSize(of message: some Collection<UInt8>) -> Int {
        var size = 0
        walk(message) { piece in
            switch piece {
            case .run(let bytes): size += bytes.count
            case .lineEnd: size += 2
            case .stuffingDot: break
            }
        }
        return size
    }

    /// Whether the message has octets above 127, which need `BODY=8BITMIME` (RFC 6152).
    public static func needs8BitTransport(_ message: some Collection<UInt8>) -> Bool {
        message.contains { $0 >= 0x80 }
    }

    /// A piece of the DATA stream: message bytes as they are, a line end that was a bare CR or LF (or was
    /// missing at the end), or a dot added in front of a line.
    private enum Piece {
        case run(UnsafeBufferPointer<UInt8>)
        case lineEnd
        case stuffingDot
    }

    /// Calls `emit` with the DATA stream in pieces. Correct CRLF line ends stay inside runs, so a well-formed
    /// message is a few long runs.
    private static func walk(_ message: some Collection<UInt8>, _ emit: (Piece) -> Void) {
        let bytes = Array(message)
        bytes.withUnsafeBufferPointer { buffer in
            var runStart = 0
            var index = 0
            var atLineStart = true
            func endRun(at end: Int) {
                if end > runStart { emit(.run(UnsafeBufferPointer(rebasing: buffer[runStart..<end]))) }
            }
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 0x0D && index + 1 < buffer.count && buffer[index + 1] == 0x0A {
                    index += 2
                    atLineStart = true
                    continue
                }
                if byte == 0x0D || byte == 0x0A {
                    // A CR or LF on its own ends a line too, and goes out as CRLF.
                    endRun(at: index)
                    emit(.lineEnd)
                    index += 1
                    runStart = index
                    atLineStart = true
                    continue
                }
                if atLineStart && byte == UInt8(ascii: ".") {
                    endRun(at: index)
                    emit(.stuffingDot)
                    runStart = index
                }
                atLineStart = false
                index += 1
            }
            endRun(at: buffer.count)
            if !atLineStart { emit(.lineEnd) }
        }
    }
}
