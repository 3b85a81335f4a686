import MailpenMIME
import Testing

@Suite("Header block")
struct HeaderTests {
    @Test("keeps order, duplicates, names as written and raw folding")
    func orderAndRaw() {
        let mail = message(
            "Received: from a", "\tby b", "Received: from c", "X-Custom-Header:  value  ", "subject: Folded",
            "  subject line", "", "body"
        )
        let fields = mail.header.fields
        #expect(fields.map(\.name) == ["Received", "Received", "X-Custom-Header", "subject"])
        #expect(fields[0].raw == " from a\r\n\tby b")
        #expect(fields[0].value == "from a\tby b")
        #expect(fields[2].value == "value")
        #expect(fields[2].raw == "  value  ")
        #expect(mail.header.values(named: "RECEIVED") == ["from a\tby b", "from c"])
        #expect(mail.subject == "Folded  subject line")
        #expect(mail.header["x-custom-header"] == "value")
        #expect(mail.header["missing"] == nil)
    }

    @Test(
        "decodes and unfolds values",
        arguments: [
            ("Subject: =?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"),
            ("Subject: plain", "plain"),
            ("Subject:no-space", "no-space"),
            ("Subject:", ""),
            ("Subject: \t ", ""),
            ("Subject: Re: [list] =?ISO-8859-1?Q?caf=E9?=", "Re: [list] café"),
            ("Subject: Grüße", "Grüße"),
        ]
    )
    func values(line: String, expected: String) {
        #expect(message(line, "", "").subject == expected)
    }

    @Test("8-bit Latin-1 header bytes decode as Latin-1, UTF-8 as UTF-8")
    func eightBit() {
        let latin1 = MIMEMessage(Array("Subject: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8))
        #expect(latin1.subject == "café")
        #expect(latin1.header.fields[0].raw == " café")
        #expect(latin1.root.problems == [.eightBitHeader])
        let utf8 = MIMEMessage(Array("Subject: café\r\n\r\n".utf8))
        #expect(utf8.subject == "café")
    }

    @Test("a header that is UTF-8 but for one stray byte keeps its UTF-8 characters")
    func utf8WithAStrayByte() {
        let mixed = MIMEMessage(
            Array("Subject: Grüße aus München ".utf8) + [0xFF] + Array("\r\nFrom: Zoë <z@example.com>".utf8) + [0x96]
                + Array("\r\n\r\n".utf8))
        #expect(mixed.subject == "Grüße aus München ÿ")
        #expect(mixed.header.fields[1].raw.hasPrefix(" Zoë <z@example.com>–"))
        // Latin-1 throughout still reads as Latin-1.
        let latin1 = MIMEMessage(Array("Subject: Gr".utf8) + [0xFC, 0xDF] + Array("e\r\n\r\n".utf8))
        #expect(latin1.subject == "Grüße")
    }

    @Test("a line that is not a header ends the block and starts the body")
    func malformed() {
        let mail = message("Subject: x", "this is not a header", "To: a@b.c", "", "rest")
        #expect(mail.header.fields.map(\.name) == ["Subject"])
        #expect(mail.root.problems == [.malformedHeader(line: 2)])
        #expect(mail.textBody == "this is not a header\nTo: a@b.c\n\nrest")
        // Python email agrees: "Name :" (space before colon) is not a field name either.
        #expect(message("Subject : x", "", "").header.fields.isEmpty)
    }

    @Test("a leading continuation line is ignored and reported")
    func leadingContinuation() {
        let mail = message(" orphan", "Subject: x", "", "")
        #expect(mail.subject == "x")
        #expect(mail.root.problems == [.malformedHeader(line: 1)])
    }

    @Test("line numbers of problems count from the top of the message")
    func lineNumbers() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain
            broken line

            --b--
            """
        )
        #expect(mail.root.children.first?.problems == [.malformedHeader(line: 5)])
    }

    @Test("bare LF line endings are accepted and reported")
    func bareLF() {
        let mail = MIMEMessage(Array("Subject: lf\nTo: a@b.c\n\nbody\n".utf8))
        #expect(mail.subject == "lf")
        #expect(mail.to.map(\.address) == ["a@b.c"])
        #expect(mail.textBody == "body\n")
        #expect(mail.root.problems == [.bareLF])
    }

    @Test("mbox From line is skipped at the top only")
    func mboxFrom() {
        let mail = message("From someone@example.com Mon Jan  1 00:00:00 2024", "Subject: x", "", "")
        #expect(mail.subject == "x")
        #expect(mail.root.problems.isEmpty)
    }

    @Test("headers only, no body")
    func headersOnly() {
        let mail = message("Subject: only headers", "To: a@b.c")
        #expect(mail.subject == "only headers")
        #expect(mail.root.bodyRange.isEmpty)
        #expect(mail.textBody == "")
    }

    @Test("empty input")
    func empty() {
        let mail = MIMEMessage([UInt8]())
        #expect(mail.header.fields.isEmpty)
        #expect(mail.root.id == "1")
        #expect(mail.textBody == "")
        #expect(mail.snippet == "")
    }

    @Test("fields built by hand")
    func handMade() {
        var field = MIMEHeaderField(name: "X-A", value: "v", raw: " v")
        #expect(field.hasName("x-a"))
        field.value = "w"
        #expect(field == MIMEHeaderField(name: "X-A", value: "w", raw: " v"))
        let parsed = message("X-A: v", "", "").header.fields[0]
        #expect(parsed == MIMEHeaderField(name: "X-A", value: "v", raw: " v"))
        #expect(parsed.unfoldedValue == "v")
    }
}
