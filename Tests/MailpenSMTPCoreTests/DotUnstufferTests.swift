import MailpenLineFraming
import Testing

@testable import MailpenSMTPCore

@Suite("DATA dot-unstuffing")
struct DotUnstufferTests {
    static let cases: [(input: String, content: String, consumed: Int?)] = [
        ("a\r\n.\r\n", "a\r\n", nil),
        (".\r\n", "", nil),
        ("..\r\n.\r\n", ".\r\n", nil),
        ("...x\r\n.\r\n", "..x\r\n", nil),
        ("a.b\r\n.a\r\n.\r\n", "a.b\r\na\r\n", nil),
        // Only CRLF ends a line: after a bare LF a dot is content, and `.` before a bare LF ends nothing.
        ("bare\nlf\n.\n", "bare\nlf\n.\n", 10),
        ("mixed\n.\r\n", "mixed\n.\r\n", 9),
        ("a\r\n.\nMAIL FROM:<x@y>\r\n", "a\r\n\nMAIL FROM:<x@y>\r\n", 22),
        ("a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n", "a\n.\r\nMAIL FROM:<x@y>\r\n", nil),
        ("a\n..\r\n.\r\n", "a\n..\r\n", nil),
        ("\n.\r\n", "\n.\r\n", 4),
        (".\rx\r\n.\r\n", "\rx\r\n", nil),
        ("no end yet\r\n", "no end yet\r\n", 12),
        ("a\r\n.\r\nQUIT\r\n", "a\r\n", 6),
        ("\u{0}\u{1}\r\n.\r\n", "\u{0}\u{1}\r\n", nil),
    ]

    /// Feeds `bytes` in pieces of the sizes `cuts` gives (from the bytes left), until the end of data; returns
    /// the content, the bytes consumed and whether the end was found.
    private static func unstuff(_ bytes: [UInt8], cuts: (Int) -> Int) -> ([UInt8], Int, Bool) {
        var unstuffer = DotUnstuffer()
        var output: [UInt8] = []
        var overflow = 0
        var offset = 0
        var finished = false
        while offset < bytes.count && !finished {
            let end = min(bytes.count, offset + cuts(bytes.count - offset))
            let (consumed, done) = bytes[offset..<end].withUnsafeBytes {
                unstuffer.consume($0, into: &output, limit: .max, overflow: &overflow)
            }
            offset += consumed
            finished = done
        }
        return (output, offset, finished)
    }

    @Test("unstuffs and finds the end", arguments: cases)
    func unstuff(input: String, content: String, consumed expectedConsumed: Int?) {
        let bytes = Array(input.utf8)
        // Feeding in one piece and byte by byte must give the same result.
        for pieceSize in [bytes.count, 1, 2, 3] {
            let (output, offset, finished) = Self.unstuff(bytes) { _ in pieceSize }
            #expect(output == Array(content.utf8), "piece size \(pieceSize)")
            if let expectedConsumed {
                #expect(offset == expectedConsumed)
            } else {
                #expect(finished && offset == bytes.count)
            }
        }
    }

    /// Lines copied in one go up to the next dot give what one byte at a time gives, on random input cut at
    /// random places.
    @Test func randomInputCutAnywhere() {
        let pieces = ["a", "bc", ".", "..", "\r", "\n", "\r\n", ".\r", "\r\n.", "\n.", "x.\r\n"].map { Array($0.utf8) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<40, using: &generator) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            let byteByByte = Self.unstuff(bytes) { _ in 1 }
            let whole = Self.unstuff(bytes) { $0 }
            let random = Self.unstuff(bytes) { Int.random(in: 1...$0, using: &generator) }
            #expect(whole == byteByByte, "\(bytes)")
            #expect(random == byteByByte, "\(bytes)")
        }
    }

    @Test func keepsEightBitAndLongLines() {
        let line = [UInt8](repeating: 0xE9, count: 5000) + [0x0D, 0x0A]
        var unstuffer = DotUnstuffer()
        var output: [UInt8] = []
        var overflow = 0
        let input = line + Array(".\r\n".utf8)
        let (consumed, finished) = input.withUnsafeBytes {
            unstuffer.consume($0, into: &output, limit: .max, overflow: &overflow)
        }
        #expect(finished && consumed == input.count)
        #expect(output == line)
    }

    @Test func countsOverflowWithoutKeepingIt() {
        var unstuffer = DotUnstuffer()
        var output: [UInt8] = []
        var overflow = 0
        let input = Array("0123456789\r\n.\r\n".utf8)
        let (_, finished) = input.withUnsafeBytes {
            unstuffer.consume($0, into: &output, limit: 4, overflow: &overflow)
        }
        #expect(finished)
        #expect(output.count == 4)
        #expect(overflow == 8)
    }
}

@Suite("Command line framing")
struct LineFramerTests {
    private func frames(_ text: String, limit: Int = 10) -> [LineFramer.Frame] {
        var framer = LineFramer(maximumLength: limit)
        var bytes = Array(text.utf8)
        var result: [LineFramer.Frame] = []
        while true {
            let frame = bytes.withUnsafeBytes { framer.nextFrame(in: $0) }
            result.append(frame)
            switch frame {
            case .line(_, let consumed), .overlongLine(let consumed):
                bytes.removeFirst(consumed)
            case .needMoreData(let consumed):
                bytes.removeFirst(consumed)
                return result
            }
        }
    }

    @Test func crlfAndBareLF() {
        #expect(
            frames("NOOP\r\nQUIT\nRS") == [
                .line(0..<4, consumed: 6), .line(0..<4, consumed: 5), .needMoreData(consumed: 0),
            ])
    }

    @Test func overlongLineIsSkippedWithoutBuffering() {
        var framer = LineFramer(maximumLength: 10)
        let chunk = [UInt8](repeating: 0x41, count: 100)
        #expect(chunk.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 100))
        #expect(chunk.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 100))
        let end = Array("AAA\r\nNOOP\r\n".utf8)
        #expect(end.withUnsafeBytes { framer.nextFrame(in: $0) } == .overlongLine(consumed: 5))
        let next = Array("NOOP\r\n".utf8)
        #expect(next.withUnsafeBytes { framer.nextFrame(in: $0) } == .line(0..<4, consumed: 6))
    }

    /// Found by the session fuzzer: a line of exactly the limit whose CR and LF arrive in different reads
    /// was taken for an overlong one, while the same bytes in one read were a line.
    @Test func lineOfTheLimitWithItsCRLFSplitAcrossReads() {
        var framer = LineFramer(maximumLength: 10)
        let first = Array("AAAAAAAAAA\r".utf8)
        #expect(first.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 0))
        let whole = first + Array("\n".utf8)
        #expect(whole.withUnsafeBytes { framer.nextFrame(in: $0) } == .line(0..<10, consumed: 12))
        let longer = Array("AAAAAAAAAAA\r".utf8)
        #expect(longer.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 12))
    }

    /// The CR held back at the limit turns out to be part of the line: the line is overlong after all.
    @Test func carriageReturnInsideALineAtTheLimit() {
        var framer = LineFramer(maximumLength: 10)
        let first = Array("AAAAAAAAAA\r".utf8)
        #expect(first.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 0))
        let more = first + Array("B\r\nNOOP\r\n".utf8)
        #expect(more.withUnsafeBytes { framer.nextFrame(in: $0) } == .overlongLine(consumed: 14))
        var slower = LineFramer(maximumLength: 10)
        let oneMore = first + Array("B".utf8)
        #expect(oneMore.withUnsafeBytes { slower.nextFrame(in: $0) } == .needMoreData(consumed: 12))
        #expect(Array("\r\n".utf8).withUnsafeBytes { slower.nextFrame(in: $0) } == .overlongLine(consumed: 2))
    }

    @Test func oneOverTheLimitWithoutLineEnding() {
        var framer = LineFramer(maximumLength: 10)
        let bytes = Array("AAAAAAAAAAA".utf8)
        #expect(bytes.withUnsafeBytes { framer.nextFrame(in: $0) } == .needMoreData(consumed: 11))
    }

    @Test func overlongCompleteLine() {
        #expect(
            frames("AAAAAAAAAAAA\r\nOK\r\n") == [
                .overlongLine(consumed: 14), .line(0..<2, consumed: 4), .needMoreData(consumed: 0),
            ])
    }
}
