import Testing

@testable import MailpenMIME

/// A message list's snippet is read from the text body's undecoded bytes when they need no decoding, and is
/// then the snippet the decoded text gives.
@Suite("Snippets read from undecoded bodies")
struct SnippetTests {
    private static func mail(_ header: String, _ body: [UInt8]) -> MIMEMessage {
        MIMEMessage(Array("Subject: s\r\n\(header)\r\n\r\n".utf8) + body)
    }

    @Test("bytes are read directly exactly when they need no decoding")
    func directOnlyWithoutDecoding() throws {
        let cases: [(header: String, body: [UInt8], direct: Bool, snippet: String)] = [
            ("Content-Type: text/plain", Array("Hello\r\n  plain\r\n\tworld\r\n".utf8), true, "Hello plain world"),
            ("Content-Type: text/plain; charset=utf-8", Array("Grüße\r\n\r\nan alle".utf8), true, "Grüße an alle"),
            ("Content-Type: text/plain; charset=\"UTF-8\"", Array("\u{FEFF}Ja\u{3000}nein".utf8), true, "Ja nein"),
            ("Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit", Array("ok".utf8), true, "ok"),
            // Decoded from a fallback or another charset, or a transfer encoding undone first.
            ("Content-Type: text/plain; charset=us-ascii", Array("Grüße".utf8), false, "Grüße"),
            ("Content-Type: text/plain; charset=utf-8", [0x47, 0xFC, 0x65], false, "Güe"),
            ("Content-Type: text/plain; charset=iso-8859-1", [0x47, 0xFC, 0x65], false, "Güe"),
            (
                "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable", Array("a=3Db".utf8), false,
                "a=b"
            ),
            ("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64", Array("aGVsbG8=".utf8), false, "hello"),
        ]
        for (header, body, direct, snippet) in cases {
            let message = Self.mail(header, body)
            let part = try #require(message.textBodyPart)
            #expect((message.snippetFromUndecodedBody(of: part) != nil) == direct, "\(header)")
            #expect(message.snippet == snippet, "\(header)")
            #expect(message.snippet(readingBytesDirectly: false) == snippet, "\(header)")
        }
    }

    @Test("random bodies give the same snippet both ways")
    func randomBodies() {
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("word".utf8), Array("é".utf8), Array("😀".utf8), Array(" ".utf8), Array("\t".utf8),
            Array("\r".utf8), Array("\n".utf8), Array("\r\n".utf8), Array("\u{00A0}".utf8), Array("\u{3000}".utf8),
            Array("\u{FEFF}".utf8), Array("=3D".utf8), [0], [0xFF], [0xC3], [0xE2, 0x82],
        ]
        let labels = ["", "; charset=utf-8", "; charset=us-ascii", "; charset=latin1", "; charset=UTF8"]
        let encodings = ["", "7bit", "8bit", "binary", "quoted-printable"]
        var generator = SystemRandomNumberGenerator()
        func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &generator) }
        var direct = 0
        for round in 0..<3000 {
            // A third of the bodies may hold bytes invalid in UTF-8; the rest take the direct path when so labelled.
            let usable = below(3) == 0 ? pieces.count : 12
            var body: [UInt8] = []
            for _ in 0..<below(400) { body += pieces[below(usable)] }
            let encoding = encodings[below(encodings.count)]
            let header =
                "Content-Type: text/plain\(labels[below(labels.count)])"
                + (encoding.isEmpty ? "" : "\r\nContent-Transfer-Encoding: \(encoding)")
            let message = Self.mail(header, body)
            if let part = message.textBodyPart, message.snippetFromUndecodedBody(of: part) != nil { direct += 1 }
            #expect(
                message.snippet == message.snippet(readingBytesDirectly: false), "round \(round): \(header) \(body)")
        }
        #expect(direct > 300)
    }

    /// White space collapsed scalar by scalar, as a model of the byte-level code.
    private static func modelCollapsedPrefix(_ text: String, limit: Int) -> String {
        let spaces: Set<UInt32> = [
            0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x2028, 0x2029, 0x202F, 0x3000, 0xFEFF,
        ]
        var out = String.UnicodeScalarView()
        var count = 0
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if spaces.contains(scalar.value) || (0x2000...0x200B).contains(scalar.value) {
                pendingSpace = count > 0
                continue
            }
            if count >= limit { break }
            if pendingSpace {
                if count + 1 >= limit { break }
                out.append(" ")
                count += 1
                pendingSpace = false
            }
            out.append(scalar)
            count += 1
        }
        return String(out)
    }

    @Test("white space collapses as a scalar-by-scalar model says")
    func collapsingAgreesWithAModel() {
        let pieces = [
            "a", "word", "é", "😀", "中", " ", "\t", "\r\n", "\u{00A0}", "\u{2003}", "\u{200B}", "\u{2028}", "\u{3000}",
            "\u{FEFF}", "\u{202F}", "\u{0085}", "\u{2010}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var text = ""
            for _ in 0..<Int.random(in: 0..<300, using: &generator) {
                text += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            for limit in [1, 2, 7, 200] {
                #expect(
                    MIMEMessage.collapsedPrefix(text, limit: limit) == Self.modelCollapsedPrefix(text, limit: limit),
                    "\(limit): \(text.debugDescription)")
            }
        }
    }
}
