#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the content of a DATA phase (RFC 5321 §4.5.2): finds the terminating `.` line and removes the
/// leading dot that the client added to lines beginning with one.
///
/// It works on any split of the input and keeps every other byte exactly (CRLF, bare LF, 8-bit, NUL). Only
/// CRLF ends a line here: the end is `CRLF . CRLF` alone, and a bare LF is content. A server that also
/// ended data at `LF . CRLF` or `CRLF . LF` would read the rest of a message whose sender passes bare LFs
/// through as commands of its own: a second message smuggled in behind the first, which it cuts short.
struct DotUnstuffer: Sendable {
    private enum Position: Sendable {
        case lineStart
        case inLine
        case dot
        case dotCarriageReturn
    }

    private var position: Position = .lineStart
    /// Whether the last byte of a line read so far was a CR, so that an LF at the start of the next input
    /// ends the line.
    private var lastWasCarriageReturn = false

    /// Feeds `input`, appending content to `output` until `limit` bytes are held; content past the limit
    /// is counted in `overflow` but not kept. Returns how many input bytes were consumed and whether the
    /// end of data was reached (the terminator is consumed, not appended).
    mutating func consume(
        _ input: UnsafeRawBufferPointer,
        into output: inout [UInt8],
        limit: Int,
        overflow: inout Int
    ) -> (consumed: Int, finished: Bool) {
        var index = 0
        let count = input.count
        func emit(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            let room = limit - output.count
            if room >= range.count {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[range]))
            } else {
                if room > 0 {
                    output.append(
                        contentsOf: UnsafeRawBufferPointer(rebasing: input[range.lowerBound..<range.lowerBound + room]))
                }
                overflow += range.count - max(room, 0)
            }
        }
        func emitByte(_ byte: UInt8) {
            if output.count < limit { output.append(byte) } else { overflow += 1 }
        }
        while index < count {
            switch position {
            case .inLine:
                // Copy in one go every line up to the next one that begins with a dot, or to the end of
                // the input: only a dot at a line's start needs a look.
                var scan = index
                while true {
                    guard let end = Self.lineFeed(in: input, from: scan) else {
                        lastWasCarriageReturn = input[count - 1] == 0x0D
                        scan = count
                        break
                    }
                    let endsLine = end > index ? input[end - 1] == 0x0D : lastWasCarriageReturn
                    lastWasCarriageReturn = false
                    scan = end + 1
                    if endsLine && (scan == count || input[scan] == UInt8(ascii: ".")) {
                        position = .lineStart
                        break
                    }
                }
                emit(index..<scan)
                index = scan
            case .lineStart:
                let byte = input[index]
                index += 1
                if byte == UInt8(ascii: ".") {
                    position = .dot
                } else {
                    emitByte(byte)
                    lastWasCarriageReturn = byte == 0x0D
                    position = .inLine
                }
            case .dot:
                let byte = input[index]
                index += 1
                if byte == 0x0D {
                    position = .dotCarriageReturn
                } else {
                    // A stuffed dot (or a dot before a bare LF, which ends no line): drop it, keep the rest.
                    emitByte(byte)
                    lastWasCarriageReturn = false
                    position = .inLine
                }
            case .dotCarriageReturn:
                let byte = input[index]
                if byte == 0x0A {
                    index += 1
                    position = .lineStart
                    return (index, true)
                }
                // ".\r" followed by something else: the dot was stuffing, the CR is content.
                emitByte(0x0D)
                lastWasCarriageReturn = true
                position = .inLine
            }
        }
        return (index, false)
    }

    /// The index of the first LF at or after `start`, found with `memchr` (lines are most of a message).
    private static func lineFeed(in input: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = input.baseAddress, start < input.count,
            let found = memchr(base + start, 0x0A, input.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}
