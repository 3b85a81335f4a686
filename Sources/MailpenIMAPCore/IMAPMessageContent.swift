import MailpenMIME

/// A message's bytes as IMAP serves them and their MIME parse: line endings are made CRLF first (a bare
/// LF or CR from a sloppy sender would otherwise reach the client inside a literal), so every size, line
/// count and section the session reports describes the bytes it sends.
public struct IMAPMessageContent: Sendable {
    /// The message with CRLF line endings.
    public let bytes: [UInt8]
    let message: MIMEMessage
    /// Where each part's header block starts, by part id (the parse records only where bodies start).
    private let headerStarts: [String: Int]

    public init(raw: [UInt8]) {
        let bytes = Self.normalizingLineEndings(raw)
        self.bytes = bytes
        message = MIMEMessage(bytes)
        var starts: [String: Int] = [:]
        Self.recordHeaderStarts(of: message.root, at: 0, in: bytes, into: &starts)
        headerStarts = starts
    }

    /// The octet count IMAP reports for `raw` (RFC822.SIZE): its size once line endings are CRLF.
    public static func servedSize(of raw: [UInt8]) -> Int {
        var size = raw.count
        for (index, byte) in raw.enumerated() {
            if byte == 0x0A && (index == 0 || raw[index - 1] != 0x0D) { size += 1 }
            if byte == 0x0D && (index + 1 == raw.count || raw[index + 1] != 0x0A) { size += 1 }
        }
        return size
    }

    static func normalizingLineEndings(_ raw: [UInt8]) -> [UInt8] {
        guard servedSize(of: raw) != raw.count else { return raw }
        var out: [UInt8] = []
        out.reserveCapacity(servedSize(of: raw))
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            if byte == 0x0D {
                out.append(contentsOf: [0x0D, 0x0A])
                if index + 1 < raw.count && raw[index + 1] == 0x0A { index += 1 }
            } else if byte == 0x0A {
                out.append(contentsOf: [0x0D, 0x0A])
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    // MARK: - Ranges

    /// The header block of `part`, its blank line included.
    func headerRange(of part: MIMEPart) -> Range<Int> {
        let start = min(headerStarts[part.id] ?? part.bodyRange.lowerBound, part.bodyRange.lowerBound)
        return start..<part.bodyRange.lowerBound
    }

    func bodyRange(of part: MIMEPart) -> Range<Int> {
        let lower = min(max(0, part.bodyRange.lowerBound), bytes.count)
        return lower..<min(max(lower, part.bodyRange.upperBound), bytes.count)
    }

    /// Walks the tree once: a multipart's children start after the last delimiter line before their
    /// bodies; an encapsulated message starts where its part's body does.
    private static func recordHeaderStarts(
        of part: MIMEPart, at start: Int, in bytes: [UInt8], into starts: inout [String: Int]
    ) {
        starts[part.id] = start
        if part.isMultipart, let boundary = part.contentType.parameters["boundary"] {
            let delimiter = Array(("--" + boundary.trimmingTrailingWhitespace).utf8)
            var cursor = part.bodyRange.lowerBound
            for child in part.children {
                let childStart =
                    lastDelimiterEnd(delimiter, in: bytes, from: cursor, upTo: child.bodyRange.lowerBound) ?? cursor
                recordHeaderStarts(of: child, at: childStart, in: bytes, into: &starts)
                cursor = max(cursor, child.bodyRange.upperBound)
            }
        } else {
            for child in part.children {
                recordHeaderStarts(of: child, at: part.bodyRange.lowerBound, in: bytes, into: &starts)
            }
        }
    }

    /// The end (after its line break) of the last line in `from..<limit` that is the delimiter, where
    /// that end is at most `limit`.
    private static func lastDelimiterEnd(_ delimiter: [UInt8], in bytes: [UInt8], from: Int, upTo limit: Int) -> Int? {
        var found: Int?
        var lineStart = from
        while lineStart < limit {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = min(lineEnd + 1, bytes.count)
            if next <= limit, bytes.count - lineStart >= delimiter.count,
                bytes[lineStart..<lineStart + delimiter.count].elementsEqual(delimiter)
            {
                found = next
            }
            lineStart = next
        }
        return found
    }

    // MARK: - Header fields as written

    /// The value of the first field called `name` in `part`'s header as written: the bytes after the
    /// colon (white space after it skipped), folding line breaks included; nil when there is no such field.
    func rawField(_ name: String, of part: MIMEPart) -> [UInt8]? {
        let range = headerRange(of: part)
        let wanted = Array(name.utf8).map(IMAPParseBuffer.upper)
        var index = range.lowerBound
        while index < range.upperBound {
            let lineEnd = endOfLine(from: index, limit: range.upperBound)
            let first = bytes[index]
            if first == 0x0D || first == 0x0A { return nil }  // the blank line ending the header
            guard first != 0x20, first != 0x09, let colon = bytes[index..<lineEnd].firstIndex(of: UInt8(ascii: ":"))
            else {
                index = lineEnd
                continue
            }
            var nameEnd = colon
            while nameEnd > index, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            guard bytes[index..<nameEnd].map(IMAPParseBuffer.upper).elementsEqual(wanted) else {
                index = lineEnd
                continue
            }
            // The field runs on over continuation lines.
            var fieldEnd = lineEnd
            while fieldEnd < range.upperBound, bytes[fieldEnd] == 0x20 || bytes[fieldEnd] == 0x09 {
                fieldEnd = endOfLine(from: fieldEnd, limit: range.upperBound)
            }
            var valueStart = colon + 1
            while valueStart < fieldEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            var valueEnd = fieldEnd
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x0A || bytes[valueEnd - 1] == 0x0D { valueEnd -= 1 }
            return Array(bytes[valueStart..<valueEnd])
        }
        return nil
    }

    /// The index after the LF ending the line that starts at `start` (or `limit`).
    private func endOfLine(from start: Int, limit: Int) -> Int {
        var index = start
        while index < limit, bytes[index] != 0x0A { index += 1 }
        return min(index + 1, limit)
    }

    // MARK: - Sections

    /// The part a section path names (RFC 3501 §6.4.5), nil when there is none. A number counts the
    /// children of a multipart; the body of a message that is not multipart is its part 1; a
    /// message/rfc822 part's numbers count in the message it encapsulates.
    func part(at path: [Int]) -> MIMEPart? {
        var current = message.root
        var isMessage = true
        for number in path {
            let base: MIMEPart
            if isMessage {
                base = current
            } else if current.contentType.type == "message", let encapsulated = current.children.first {
                base = encapsulated
                isMessage = true
            } else if current.isMultipart && !current.children.isEmpty {
                base = current
            } else {
                return nil
            }
            if base.isMultipart && !base.children.isEmpty {
                guard number <= base.children.count else { return nil }
                current = base.children[number - 1]
            } else {
                guard number == 1, isMessage else { return nil }
                current = base
            }
            isMessage = false
        }
        return current
    }

    /// The bytes of `section`, nil when the message has no such section.
    func bytes(of section: IMAPSection) -> ArraySlice<UInt8>? {
        guard let part = part(at: section.part) else { return nil }
        // The message a HEADER or TEXT applies to: the whole message, or an encapsulated one.
        var message: MIMEPart? = section.part.isEmpty ? self.message.root : nil
        if message == nil, part.contentType.type == "message", let encapsulated = part.children.first {
            message = encapsulated
        }
        switch section.text {
        case nil:
            if section.part.isEmpty { return bytes[...] }
            return bytes[bodyRange(of: part)]
        case .mime:
            return bytes[headerRange(of: part)]
        case .header:
            guard let message else { return nil }
            return bytes[headerRange(of: message)]
        case .text:
            guard let message else { return nil }
            return bytes[bodyRange(of: message)]
        case .headerFields(let names, let not):
            guard let message else { return nil }
            return ArraySlice(headerFields(in: headerRange(of: message), names: Set(names), excluding: not))
        }
    }

    /// The header lines whose field names are (or, `excluding`, are not) in `names` (uppercased), and the
    /// blank line that ends a header.
    func headerFields(in range: Range<Int>, names: Set<String>, excluding: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var index = range.lowerBound
        var keep = false
        while index < range.upperBound {
            var lineEnd = index
            while lineEnd < range.upperBound, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = min(lineEnd + 1, range.upperBound)
            let line = bytes[index..<next]
            let isBlank = line.allSatisfy { $0 == 0x0D || $0 == 0x0A }
            if isBlank { break }
            if let first = line.first, first != 0x20, first != 0x09 {
                let name = line.prefix { $0 != UInt8(ascii: ":") }
                let upper = String(decoding: name.map(IMAPParseBuffer.upper), as: UTF8.self)
                    .trimmingTrailingWhitespace
                keep = names.contains(upper) != excluding && name.count < line.count
            }
            if keep {
                out.append(contentsOf: line)
                if line.last != 0x0A { out.append(contentsOf: [0x0D, 0x0A]) }
            }
            index = next
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var scalars = Substring(self)
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
