import MailpenMIME

/// Line-level facts about the raw message, gathered in one pass: over-long lines, bare
/// LFs and 8-bit bytes in the header and the body.
struct RawMessageScan: Sendable {
    /// RFC 5322 §2.1.1: at most 998 octets per line, excluding CRLF.
    static let maximumLineLength = 998

    /// A rule's matches: how many, the first line, and the worst value (for long lines, the longest).
    struct Occurrences: Sendable, Equatable {
        var count = 0
        var firstLine = 0
        var maximum = 0

        mutating func add(line: Int, value: Int = 0) {
            if self.count == 0 {
                self.firstLine = line
            }
            self.count += 1
            self.maximum = max(self.maximum, value)
        }
    }

    var longLines = Occurrences()
    var bareLFs = Occurrences()
    /// Lines of the header block with bytes ≥ 0x80.
    var eightBitHeaderLines = Occurrences()
    /// Lines of the body with bytes ≥ 0x80.
    var eightBitBodyLines = Occurrences()

    init(_ raw: [UInt8]) {
        var line = 1
        var lineStart = 0
        var inHeader = true
        var lineHasEightBit = false
        raw.withUnsafeBufferPointer { bytes in
            for index in bytes.indices {
                let byte = bytes[index]
                if byte >= 0x80 {
                    lineHasEightBit = true
                    continue
                }
                guard byte == ASCII.lf else {
                    continue
                }
                let hasCR = index > lineStart && bytes[index - 1] == ASCII.cr
                let length = index - lineStart - (hasCR ? 1 : 0)
                if !hasCR {
                    self.bareLFs.add(line: line)
                }
                self.addLine(line, length: length, hasEightBit: lineHasEightBit, inHeader: inHeader)
                if inHeader && length == 0 {
                    inHeader = false
                }
                line += 1
                lineStart = index + 1
                lineHasEightBit = false
            }
            // The last line, when it has no line break.
            self.addLine(line, length: bytes.count - lineStart, hasEightBit: lineHasEightBit, inHeader: inHeader)
        }
    }

    /// Records what a line (`length` bytes without its line break) breaks besides bare LFs.
    private mutating func addLine(_ line: Int, length: Int, hasEightBit: Bool, inHeader: Bool) {
        if length > Self.maximumLineLength {
            self.longLines.add(line: line, value: length)
        }
        if hasEightBit {
            if inHeader {
                self.eightBitHeaderLines.add(line: line)
            } else {
                self.eightBitBodyLines.add(line: line)
            }
        }
    }
}
