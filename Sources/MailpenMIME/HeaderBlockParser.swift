#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Scans one header block (RFC 5322 §2.2) out of a byte buffer.
///
/// The rules follow Python's `email.feedparser` so both agree on where a header block
/// ends: a field line is `name:` where the name is printable ASCII without spaces;
/// lines starting with white space continue the previous field; the block ends at the
/// first empty line, or at the first line that is neither (that line then starts the body).
struct HeaderBlockParser {
    struct Result {
        var fields: [MIMEHeaderField]
        /// Offset of the first body byte.
        var bodyStart: Int
        var problems: [MIMEProblem]
        /// Offsets (into the buffer) of lines that were not header fields.
        var malformedLineOffsets: [Int]
        /// Unfolded (not RFC 2047-decoded) values of the first MIME fields.
        var contentType: String? = nil
        var transferEncoding: String? = nil
        var disposition: String? = nil
        var contentID: String? = nil
    }

    /// Parses the header block that starts at `start` and may extend to `end`.
    /// - Parameter skipMboxFrom: skip a leading mbox `From ` line (top-level messages only).
    static func parse(
        _ buffer: UnsafeBufferPointer<UInt8>,
        message: [UInt8],
        start: Int,
        end: Int,
        skipMboxFrom: Bool
    ) -> Result {
        var fields: [MIMEHeaderField] = []
        fields.reserveCapacity(16)
        var problems: [MIMEProblem] = []
        var malformed: [Int] = []
        var sawBareLF = false
        var sawEightBit = false

        // The field being collected: name range and value range (value may span lines).
        var nameStart = -1
        var nameEnd = -1
        var valueStart = -1
        var valueEnd = -1
        var fieldIsMultiline = false
        var fieldHasEightBit = false

        var contentType: String? = nil
        var transferEncoding: String? = nil
        var disposition: String? = nil
        var contentID: String? = nil

        func flush() {
            guard nameStart >= 0 else {
                return
            }
            let slice = MIMEHeaderField.Slice(
                message: message, nameStart: nameStart, nameEnd: nameEnd, valueStart: valueStart, valueEnd: valueEnd,
                multiline: fieldIsMultiline, eightBit: fieldHasEightBit
            )
            fields.append(MIMEHeaderField(slice: slice))
            if let kind = Self.mimeField(UnsafeBufferPointer(rebasing: buffer[nameStart..<nameEnd])) {
                let unfolded = MIMEHeaderField.unfold(
                    UnsafeBufferPointer(rebasing: buffer[valueStart..<valueEnd]),
                    multiline: fieldIsMultiline, eightBit: fieldHasEightBit
                ).text
                switch kind {
                case .contentType where contentType == nil:
                    contentType = unfolded
                case .transferEncoding where transferEncoding == nil:
                    transferEncoding = unfolded
                case .disposition where disposition == nil:
                    disposition = unfolded
                case .contentID where contentID == nil:
                    contentID = unfolded
                default:
                    break
                }
            }
            nameStart = -1
        }

        var index = start
        var bodyStart = end
        var isFirstLine = true
        guard let base = buffer.baseAddress, start < end else {
            return Result(fields: [], bodyStart: min(start, end), problems: [], malformedLineOffsets: [])
        }
        lineLoop: while index < end {
            // Find the end of this line.
            let newline: Int
            if let found = memchr(base + index, Int32(ASCII.lf), end - index) {
                newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            } else {
                newline = end
            }
            var contentEnd = newline
            if newline < end {
                if newline > index && base[newline - 1] == ASCII.cr {
                    contentEnd = newline - 1
                } else {
                    sawBareLF = true
                }
            } else if newline > index && base[newline - 1] == ASCII.cr {
                contentEnd = newline - 1
            }
            let next = newline < end ? newline + 1 : end
            defer { isFirstLine = false }

            if contentEnd == index {
                // The empty line separating header and body.
                flush()
                bodyStart = next
                break lineLoop
            }
            let first = base[index]
            if ASCII.isWSP(first) {
                if nameStart >= 0 {
                    valueEnd = contentEnd
                    fieldIsMultiline = true
                } else {
                    // A continuation with nothing to continue: noted and ignored.
                    malformed.append(index)
                }
            } else {
                var cursor = index
                while cursor < contentEnd {
                    let byte = base[cursor]
                    if byte == ASCII.colon || byte <= ASCII.space || byte >= 0x7F {
                        break
                    }
                    cursor += 1
                }
                if cursor < contentEnd && base[cursor] == ASCII.colon && cursor > index {
                    flush()
                    nameStart = index
                    nameEnd = cursor
                    valueStart = cursor + 1
                    valueEnd = contentEnd
                    fieldIsMultiline = false
                    fieldHasEightBit = false
                } else if isFirstLine && skipMboxFrom && contentEnd - index >= 5
                    && base[index] == 0x46 && base[index + 1] == 0x72 && base[index + 2] == 0x6F
                    && base[index + 3] == 0x6D && base[index + 4] == ASCII.space
                {
                    // mbox "From " envelope line: not a header field.
                    index = next
                    continue lineLoop
                } else {
                    // Not a header line: the header block ends without a separator and
                    // this line is the first line of the body.
                    flush()
                    malformed.append(index)
                    bodyStart = index
                    break lineLoop
                }
            }
            let line = UnsafeBufferPointer(start: base + index, count: contentEnd - index)
            if UTF8Validation.asciiPrefixLength(line) != line.count {
                sawEightBit = true
                fieldHasEightBit = true
            }
            index = next
        }
        if index >= end {
            flush()
            bodyStart = end
        }
        if sawBareLF {
            problems.append(.bareLF)
        }
        if sawEightBit {
            problems.append(.eightBitHeader)
        }
        return Result(
            fields: fields, bodyStart: bodyStart, problems: problems, malformedLineOffsets: malformed,
            contentType: contentType, transferEncoding: transferEncoding, disposition: disposition, contentID: contentID
        )
    }

    /// Which MIME field a name is, compared case-insensitively on the bytes.
    enum MIMEField {
        case contentType, transferEncoding, disposition, contentID
    }

    private static let mimeFieldNames: [(name: [UInt8], field: MIMEField)] = [
        (Array("content-type".utf8), .contentType),
        (Array("content-transfer-encoding".utf8), .transferEncoding),
        (Array("content-disposition".utf8), .disposition),
        (Array("content-id".utf8), .contentID),
    ]

    @inline(__always)
    private static func mimeField(_ name: UnsafeBufferPointer<UInt8>) -> MIMEField? {
        guard name.count >= 10, ASCII.lowercased(name[0]) == 0x63 else {  // "c"
            return nil
        }
        for candidate in self.mimeFieldNames where candidate.name.count == name.count {
            var equal = true
            for index in 0..<name.count where ASCII.lowercased(name[index]) != candidate.name[index] {
                equal = false
                break
            }
            if equal {
                return candidate.field
            }
        }
        return nil
    }

    /// Copies `source` into `output` without CR and LF bytes; returns the count written.
    static func copyDroppingLineBreaks(
        _ source: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        guard let base = source.baseAddress, let target = output.baseAddress else {
            return 0
        }
        var written = 0
        var index = 0
        while index < source.count {
            let segmentEnd: Int
            var next: Int
            if let found = memchr(base + index, Int32(ASCII.lf), source.count - index) {
                segmentEnd = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                next = segmentEnd + 1
            } else {
                segmentEnd = source.count
                next = source.count
            }
            var end = segmentEnd
            if end > index && base[end - 1] == ASCII.cr {
                end -= 1
            }
            // Lone CRs inside the segment are dropped too.
            var cursor = index
            while cursor < end {
                if let cr = memchr(base + cursor, Int32(ASCII.cr), end - cursor) {
                    let position = base.distance(to: cr.assumingMemoryBound(to: UInt8.self))
                    (target + written).update(from: base + cursor, count: position - cursor)
                    written += position - cursor
                    cursor = position + 1
                } else {
                    (target + written).update(from: base + cursor, count: end - cursor)
                    written += end - cursor
                    cursor = end
                }
            }
            index = next
        }
        return written
    }

    /// True when `bytes` contain "=?".
    @inline(__always)
    static func containsEncodedWordOpener(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, bytes.count >= 2 else {
            return false
        }
        var index = 1
        while index < bytes.count {
            guard let found = memchr(base + index, Int32(ASCII.question), bytes.count - index) else {
                return false
            }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if base[position - 1] == ASCII.equals {
                return true
            }
            index = position + 1
        }
        return false
    }
}
