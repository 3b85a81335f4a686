import Testing

@testable import MailpenMIME

@Suite("MIME structure")
struct StructureTests {
    static func tree(_ part: MIMEPart) -> String {
        let children = part.children.map(Self.tree).joined(separator: ",")
        return "\(part.id):\(part.contentType.mimeType)" + (children.isEmpty ? "" : "[\(children)]")
    }

    @Test("non-multipart message body is part 1")
    func single() {
        let mail = message("Subject: x", "", "hello")
        #expect(Self.tree(mail.root) == "1:text/plain")
        #expect(mail.root.bodyRange == 14..<19)
    }

    @Test("nested multiparts are numbered like IMAP")
    func nested() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/mixed; boundary=outer

            preamble
            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain

            plain
            --inner
            Content-Type: text/html

            <b>html</b>
            --inner--
            --outer
            Content-Type: application/pdf

            pdf
            --outer--
            epilogue
            """
        )
        #expect(
            Self.tree(mail.root)
                == "0:multipart/mixed[1:multipart/alternative[1.1:text/plain,1.2:text/html],2:application/pdf]")
        #expect(mail.textBody == "plain")
        #expect(mail.htmlBody == "<b>html</b>")
        #expect(mail.root.problems.isEmpty)
    }

    @Test("message/rfc822 parts are parsed recursively with IMAP numbering")
    func encapsulated() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/mixed; boundary=a

            --a
            Content-Type: text/plain

            see attached
            --a
            Content-Type: message/rfc822

            Subject: inner
            Content-Type: multipart/alternative; boundary=b

            --b
            Content-Type: text/plain

            inner plain
            --b
            Content-Type: message/rfc822

            Subject: innermost

            deep
            --b--
            --a--
            """
        )
        #expect(
            Self.tree(mail.root)
                == "0:multipart/mixed[1:text/plain,2:message/rfc822[2.0:multipart/alternative[2.1:text/plain,2.2:message/rfc822[2.2.1:text/plain]]]]"
        )
        let inner = mail.part(withID: "2.0")
        #expect(inner?.header["subject"] == "inner")
        #expect(mail.part(withID: "2.2.1").flatMap(mail.decodedText(of:)) == "deep")
        #expect(mail.attachments.map(\.partID) == ["2"])
    }

    @Test("digest parts default to message/rfc822")
    func digest() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/digest; boundary=d

            --d

            Subject: one

            first
            --d
            Content-Type: text/plain

            not a message
            --d--
            """
        )
        #expect(Self.tree(mail.root) == "0:multipart/digest[1:message/rfc822[1.1:text/plain],2:text/plain]")
    }

    @Test("missing final boundary is tolerated and flagged")
    func missingFinal() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/mixed; boundary=a

            --a
            Content-Type: multipart/alternative; boundary=b

            --b

            inner never closes
            --a

            last part

            """
        )
        #expect(Self.tree(mail.root) == "0:multipart/mixed[1:multipart/alternative[1.1:text/plain],2:text/plain]")
        #expect(mail.root.problems == [.missingFinalBoundary])
        #expect(mail.part(withID: "1")?.problems == [.missingFinalBoundary])
        #expect(mail.part(withID: "1.1").flatMap(mail.decodedText(of:)) == "inner never closes")
        #expect(mail.part(withID: "2").flatMap(mail.decodedText(of:)) == "last part")
    }

    @Test(
        "boundary not found makes the multipart a leaf",
        arguments: [
            "Content-Type: multipart/mixed; boundary=declared\r\n\r\n--other\r\n\r\nx\r\n--other--\r\n",
            "Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nx\r\n",
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
        ]
    )
    func boundaryNotFound(raw: String) {
        let mail = MIMEMessage(Array(raw.utf8))
        #expect(mail.root.children.isEmpty)
        #expect(mail.root.id == "1")
        #expect(mail.root.problems == [.boundaryNotFound])
        #expect(mail.textBody == nil)
    }

    @Test("delimiter details: transport padding, look-alikes, consecutive delimiters, empty parts")
    func delimiters() {
        let mail = crlfMessage(
            "Content-Type: multipart/mixed; boundary=\"b \"\n\n--b  \t\n\none\n--bx\n--b\n--b\n\ntwo\n--b\n\n--b--   \n--b\n\nepilogue\n"
        )
        let texts = mail.root.children.map { mail.decodedText(of: $0) ?? "?" }
        #expect(texts == ["one\n--bx", "two", ""])
    }

    @Test("nesting deeper than 64 levels stops with a flag")
    func deepNesting() {
        var raw = ""
        for level in 0..<70 {
            raw += "Content-Type: multipart/mixed; boundary=b\(level)\r\n\r\n--b\(level)\r\n"
        }
        raw += "Content-Type: text/plain\r\n\r\ndeep\r\n"
        let mail = MIMEMessage(Array(raw.utf8))
        var depth = 0
        var part = mail.root
        while let child = part.children.first {
            part = child
            depth += 1
        }
        #expect(depth == 64)
        #expect(part.problems.contains(.nestingTooDeep))
        #expect(mail.allParts.count == 65)
    }

    /// An empty part costs a few bytes of source and hundreds of memory, in every view that reads the
    /// message: the parts are capped, the first ones kept, and the multipart flagged.
    @Test("a message of more parts than the cap keeps the first ones")
    func manyParts() {
        let raw =
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            + String(repeating: "--b\r\n\r\n", count: 12_000) + "--b\r\nlast\r\n--b--\r\n"
        let mail = MIMEMessage(Array(raw.utf8))
        #expect(mail.allParts.count == MIMEParser.maximumParts)
        #expect(mail.root.children.count == MIMEParser.maximumParts - 1)
        #expect(mail.root.problems == [.tooManyParts])
        #expect(mail.root.children.last?.id == "\(MIMEParser.maximumParts - 1)")
        #expect(mail.root.children.allSatisfy { $0.problems.isEmpty && $0.bodyRange.isEmpty })
    }

    /// The cap counts parts: a message of exactly as many is parsed whole and not flagged, one more is cut,
    /// and delimiters that make no part (two in a row) use none of it.
    @Test(
        "the part cap counts parts, not delimiters",
        arguments: [(9_999, false, 1), (10_000, true, 1), (5_000, false, 2)])
    func partCapBoundary(parts: Int, isCut: Bool, delimitersEach: Int) {
        let part = String(repeating: "--b\r\n", count: delimitersEach) + "Content-Type: text/plain\r\n\r\nx\r\n"
        let raw =
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + String(repeating: part, count: parts) + "--b--\r\n"
        let mail = MIMEMessage(Array(raw.utf8))
        #expect(mail.root.children.count == (isCut ? MIMEParser.maximumParts - 1 : parts))
        #expect(mail.root.problems == (isCut ? [.tooManyParts] : []))
        #expect(mail.root.children.allSatisfy { $0.problems.isEmpty })
    }

    @Test("the part cap holds across nested multiparts and messages")
    func manyNestedParts() {
        var raw = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
        for _ in 0..<30 {
            raw += "--outer\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n"
            raw += String(repeating: "--inner\r\n\r\n", count: 500) + "--inner--\r\n"
            raw += "--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inside\r\n\r\nbody\r\n"
        }
        raw += "--outer--\r\n"
        let mail = MIMEMessage(Array(raw.utf8))
        #expect(mail.allParts.count == MIMEParser.maximumParts)
        #expect(mail.allParts.contains { $0.problems.contains(.tooManyParts) })
        #expect(!mail.allParts.contains { $0.problems.contains(.missingFinalBoundary) })
    }

    @Test("deep message/rfc822 nesting is capped too")
    func deepMessages() {
        let raw = String(repeating: "Content-Type: message/rfc822\r\n\r\n", count: 200) + "\r\nend"
        let mail = MIMEMessage(Array(raw.utf8))
        #expect(mail.allParts.count == 65)
        #expect(mail.allParts.last?.problems == [.nestingTooDeep])
    }

    @Test("base64-encoded message/rfc822 stays a leaf")
    func encodedMessage() {
        let mail = crlfMessage(
            "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQpi\n")
        #expect(mail.root.children.isEmpty)
        #expect(mail.root.decodedSize == 15)
    }

    @Test("message/global is parsed like message/rfc822")
    func messageGlobal() {
        let mail = message("Content-Type: message/global", "", "Subject: Grüße", "", "x")
        #expect(mail.root.children.first?.header["subject"] == "Grüße")
    }

    @Test("part lookup and body ranges point into the raw bytes")
    func ranges() {
        let raw = "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nabc\r\n--z--\r\n"
        let mail = MIMEMessage(Array(raw.utf8))
        let part = mail.part(withID: "1")
        #expect(part.map { Array(mail.raw[$0.bodyRange]) } == Array("abc".utf8))
        #expect(mail.part(withID: "0")?.isMultipart == true)
        #expect(mail.part(withID: "3") == nil)
    }
}
