import MailpenMIME
import Testing

@Suite("Robustness: linear time, no traps")
struct RobustnessTests {
    /// Hostile inputs of size n and 16n must take roughly 16× as long, never 256×.
    /// The bound (128×) leaves room for cache effects (crossing from cache-sized to
    /// memory-sized inputs alone costs up to 4×) and for tests running in parallel on a
    /// busy machine; the absolute bound on the megabyte-sized input is what a quadratic
    /// algorithm could never meet.
    /// Each size is timed three times and the fastest run counts, to damp noise from
    /// other processes on a busy machine.
    static func assertLinear(
        _ name: String,
        _ make: (Int) -> [UInt8],
        base: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        func time(_ size: Int) -> Double {
            let input = make(size)
            var best = Double.infinity
            for _ in 0..<3 {
                let elapsed = clock.measure {
                    let mail = MIMEMessage(input)
                    _ = mail.allParts.count + mail.attachments.count + mail.snippet.count + mail.searchableText.count
                    _ = mail.from.count + mail.to.count + mail.cc.count + mail.replyTo.count
                }
                best = min(best, seconds(elapsed))
            }
            return best
        }
        let small = time(base)
        let large = time(base * 16)
        let ratio = large / max(small, 1e-9)
        #expect(ratio < 128, "\(name): \(small)s → \(large)s (×\(ratio))", sourceLocation: sourceLocation)
        #expect(large < 10, "\(name) took \(large)s", sourceLocation: sourceLocation)
    }

    @Test("many header lines")
    func manyHeaders() {
        Self.assertLinear(
            "headers", { Array(String(repeating: "X-A: =?utf-8?q?x?= (c) <a@b>\r\n", count: $0).utf8) }, base: 5_000)
    }

    @Test("many parts")
    func manyParts() {
        Self.assertLinear(
            "parts",
            {
                Array(
                    ("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                        + String(repeating: "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n", count: $0)).utf8)
            },
            base: 1_250
        )
    }

    @Test("many boundary look-alikes inside deep nesting")
    func lookAlikes() {
        Self.assertLinear(
            "look-alikes",
            { size in
                var raw = ""
                for level in 0..<64 {
                    raw +=
                        "Content-Type: multipart/mixed; boundary=\(String(repeating: "b", count: 60))\(level)\r\n\r\n--\(String(repeating: "b", count: 60))\(level)\r\n"
                }
                raw += "\r\n" + String(repeating: "--\(String(repeating: "b", count: 59))\r\n", count: size)
                return Array(raw.utf8)
            },
            base: 250
        )
    }

    @Test("one huge line, one huge header, unterminated constructs")
    func hugeLines() {
        Self.assertLinear(
            "line", { Array(("Subject: x\r\n\r\n" + String(repeating: "a", count: $0 * 100)).utf8) }, base: 2_500)
        Self.assertLinear(
            "header", { Array(("Subject: " + String(repeating: "=?a?q?", count: $0) + "\r\n\r\n").utf8) }, base: 2_500)
        Self.assertLinear(
            "comments", { Array(("To: " + String(repeating: "(", count: $0) + "\r\n\r\n").utf8) }, base: 6_000)
        Self.assertLinear(
            "glued quoted words",
            { Array(("Reply-To: " + String(repeating: "\"a\"", count: $0) + "@b.test\r\n\r\n").utf8) }, base: 12_000)
        Self.assertLinear(
            "html",
            {
                Array(
                    ("Content-Type: text/html\r\n\r\n" + String(repeating: "<a href=\"x\"><!--<script>&#", count: $0))
                        .utf8)
            },
            base: 2_500
        )
    }

    @Test("a large base64 attachment parses in linear time and decodes exactly")
    func largeAttachment() throws {
        func make(_ size: Int) -> [UInt8] {
            var raw = Array(
                "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nhi\r\n--z\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    .utf8)
            let line = Array("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n".utf8)
            raw.reserveCapacity(raw.count + size / 57 * line.count + 16)
            for _ in 0..<(size / 57) {
                raw += line
            }
            raw += Array("\r\n--z--\r\n".utf8)
            return raw
        }
        Self.assertLinear("base64", make, base: 100_000)
        let mail = MIMEMessage(make(57 * 20_000))
        let attachment = try #require(mail.attachments.first)
        #expect(attachment.size == 57 * 20_000)
        #expect(mail.decodedBody(ofPartWithID: attachment.partID)?.count == 57 * 20_000)
    }

    @Test("mutated fixtures never trap and keep their invariants")
    func mutations() {
        var generator = SystemRandomNumberGenerator()
        let interesting = Array("\r\n-=?:;\"<>()\\[]@,%*'\t ".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        for name in Fixtures.names {
            let original = Fixtures.data(name)
            for _ in 0..<20 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...12, using: &generator) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: bytes[index] = interesting.randomElement(using: &generator) ?? 0
                    case 1: bytes.remove(at: index)
                    case 2: bytes.insert(interesting.randomElement(using: &generator) ?? 0, at: index)
                    default:
                        bytes.removeSubrange(
                            index..<min(bytes.count, index + Int.random(in: 1...200, using: &generator)))
                    }
                }
                let mail = MIMEMessage(bytes)
                for part in mail.allParts where part.children.isEmpty && !part.isMultipart {
                    #expect(mail.decodedBody(of: part).count == part.decodedSize, "\(name) part \(part.id)")
                    #expect(part.bodyRange.upperBound <= bytes.count)
                }
                _ = mail.snippet + mail.searchableText + (mail.subject ?? "")
                _ = mail.allAddresses.count + mail.attachments.count
            }
        }
    }
}
