import MailpenMIME
import Testing

@Suite("Views: bodies, attachments, snippet, search text")
struct ViewTests {
    static let newsletter = crlfMessage(
        """
        Subject: News
        Content-Type: multipart/mixed; boundary=m

        --m
        Content-Type: multipart/alternative; boundary=a

        --a
        Content-Type: text/plain; charset=utf-8

        Hello   plain
        world
        --a
        Content-Type: multipart/related; boundary=r

        --r
        Content-Type: text/html; charset=utf-8

        <p>Hello <b>HTML</b></p><img src="cid:logo@x">
        --r
        Content-Type: image/png
        Content-ID: <logo@x>
        Content-Transfer-Encoding: base64

        iVBORw0KGgo=
        --r--
        --a--
        --m
        Content-Type: application/pdf; name="report.pdf"
        Content-Disposition: attachment; filename="report.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --m
        Content-Type: text/plain; name="notes.txt"
        Content-Disposition: attachment

        notes
        --m
        Content-Type: text/plain

        footer
        --m--
        """
    )

    @Test("best text and HTML bodies")
    func bodies() {
        let mail = Self.newsletter
        #expect(mail.textBodyPart?.id == "1.1")
        #expect(mail.htmlBodyPart?.id == "1.2.1")
        #expect(mail.textBody == "Hello   plain\nworld")
        #expect(mail.htmlBody == "<p>Hello <b>HTML</b></p><img src=\"cid:logo@x\">")
    }

    @Test("attachments: inline image, attachments, not the bodies or footer fragments")
    func attachments() {
        let mail = Self.newsletter
        #expect(
            mail.attachments == [
                MIMEAttachment(
                    partID: "1.2.2", filename: nil, contentType: "image/png", size: 8, contentID: "logo@x",
                    isInline: true),
                MIMEAttachment(
                    partID: "2", filename: "report.pdf", contentType: "application/pdf", size: 9, contentID: nil,
                    isInline: false),
                MIMEAttachment(
                    partID: "3", filename: "notes.txt", contentType: "text/plain", size: 5, contentID: nil,
                    isInline: false),
            ]
        )
        #expect(mail.contentIDs == ["logo@x": "1.2.2"])
        #expect(mail.decodedBody(ofPartWithID: "2") == Array("%PDF-1.4\n".utf8))
    }

    @Test("snippet collapses white space and prefers the text body")
    func snippet() {
        #expect(Self.newsletter.snippet == "Hello plain world")
        let long = message("Content-Type: text/plain", "", String(repeating: "word ", count: 100))
        #expect(long.snippet.count <= 200)
        #expect(long.snippet.hasPrefix("word word"))
        #expect(!long.snippet.hasSuffix(" "))
    }

    @Test("snippet and search text fall back to HTML as text")
    func htmlOnly() {
        let mail = message(
            "Content-Type: text/html", "",
            "<html><head><style>p{}</style></head><body><p>Only&nbsp;HTML</p></body></html>")
        #expect(mail.textBody == nil)
        #expect(mail.snippet == "Only HTML")
        #expect(mail.searchableText == "Only HTML")
    }

    @Test("search text has the decoded text and HTML, never the encoded bytes")
    func searchable() {
        let mail = crlfMessage(
            """
            Content-Type: multipart/alternative; boundary=a

            --a
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: base64

            Y2Fmw6kgY3LDqG1l
            --a
            Content-Type: text/html; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            <p>caf=C3=A9 <a href=3D"https://x.y/">link</a></p>
            --a--
            """
        )
        #expect(mail.searchableText == "café crème\ncafé link (https://x.y/)")
        #expect(!mail.searchableText.contains("Y2Fm"))
    }

    @Test("attachments are never bodies; related start parameter picks the root")
    func bodySelection() {
        let attachedText = message(
            "Content-Type: text/plain", "Content-Disposition: attachment; filename=a.txt", "", "x")
        #expect(attachedText.textBody == nil)
        #expect(attachedText.attachments.map(\.filename) == ["a.txt"])
        let related = crlfMessage(
            """
            Content-Type: multipart/related; boundary=r; start="<root@x>"

            --r
            Content-Type: text/html

            <p>not the root</p>
            --r
            Content-Type: text/html
            Content-ID: <root@x>

            <p>root</p>
            --r--
            """
        )
        #expect(related.htmlBody == "<p>root</p>")
    }

    @Test("views are computed once and are safe to share across tasks")
    func concurrent() async {
        let mail = Self.newsletter
        await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { mail.snippet + (mail.textBody ?? "") + mail.searchableText }
            }
            var results = Set<String>()
            for await result in group {
                results.insert(result)
            }
            #expect(results.count == 1)
        }
    }

    @Test("init from any byte sequence")
    func sequences() {
        let bytes = Array("Subject: seq\r\n\r\n".utf8)
        #expect(MIMEMessage(bytes[...]).subject == "seq")
        #expect(MIMEMessage(bytes.lazy.map { $0 }).subject == "seq")
    }
}
