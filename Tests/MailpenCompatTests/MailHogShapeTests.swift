import Foundation
import MailpenSMTPCore
import Testing

@testable import MailpenCompat
@testable import MailpenStore

@Suite("MailHog JSON shapes")
struct MailHogShapeTests {
    static let raw =
        "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: Hi\r\nX-Mixed-CASE: kept\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHello =E2=9C=93\r\n"

    static func stored(_ raw: String) -> StoredMessage {
        StoredMessage(
            summary: MessageSummary(
                id: "01M8MDFVAACGBSQPW0RZ78CSRZ", inbox: "default",
                receivedAt: Date(timeIntervalSince1970: 1_796_067_969.355 - 86400),
                from: nil, to: [], cc: [], subject: "Hi", snippet: "", size: raw.utf8.count, attachmentCount: 0,
                isRead: false,
                tags: []),
            envelope: MessageEnvelope(
                source: .smtp, mailFrom: "alice@example.com",
                mailParameters: [.init(keyword: "BODY", value: "8BITMIME")],
                recipients: [.init(address: "bob@example.com")], heloName: "client.test"),
            raw: Array(raw.utf8))
    }

    /// A message in MailHog's shape, byte for byte: paths with `Relays: null`, headers in the sender's
    /// casing, the body still encoded, `MIME: null` for a single part.
    @Test func singlePartMessageMatchesTheGoldenFile() throws {
        let message = MailHog.Message(Self.stored(Self.raw))
        #expect(CompatJSON.data(message) == (try golden("mailhog-message.json")))
    }

    @Test func multipartBodiesBecomeParts() throws {
        let raw =
            "From: a@b.c\r\nTo: d@e.f\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
            + "Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\ntext\r\n"
            + "--i\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--i--\r\n--o\r\nContent-Type: text/plain; name=n.txt\r\n"
            + "Content-Disposition: attachment; filename=\"n.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\nbm90ZXM=\r\n--o--\r\n"
        let message = MailHog.Message(Self.stored(raw))
        let parts = try #require(message.mime?.parts)
        #expect(parts.count == 2)
        #expect(parts[0].mime?.parts.map(\.body) == ["text", "<p>html</p>"])
        #expect(parts[1].headers["Content-Disposition"] == ["attachment; filename=\"n.txt\""])
        #expect(parts[1].body == "bm90ZXM=")
        #expect(message.content.mime == nil)
        #expect(message.content.body.hasPrefix("--o\r\n"))
    }

    /// An invitation with an inline image: three levels of multiparts, each keeping its body as MailHog's does.
    @Test func threeLevelsKeepEveryBody() throws {
        let text = String(repeating: "agenda ", count: 2000)
        let raw =
            "From: a@b.c\r\nTo: d@e.f\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n"
            + "Content-Type: multipart/related; boundary=r\r\n\r\n--r\r\n"
            + "Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\n\(text)\r\n"
            + "--a\r\nContent-Type: text/html\r\n\r\n<p>\(text)</p>\r\n--a--\r\n--r\r\nContent-Type: image/png\r\n"
            + "Content-ID: <i@x>\r\n\r\npng\r\n--r--\r\n--m\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\n--m--\r\n"
        let message = MailHog.Message(Self.stored(raw))
        let related = try #require(message.mime?.parts.first)
        let alternative = try #require(related.mime?.parts.first)
        #expect(!message.content.body.isEmpty && !related.body.isEmpty && !alternative.body.isEmpty)
        #expect(alternative.mime?.parts.map(\.body) == [text, "<p>\(text)</p>"])
    }

    /// MailHog repeats each multipart's body at every level; 32 levels around 64 KB of text stay within
    /// about five times the message, the outer levels keep their bodies and the text is there whole.
    @Test func deepNestingDoesNotMultiplyTheMessage() throws {
        var raw = "From: a@b.c\r\nTo: d@e.f\r\n"
        for level in 0..<32 { raw += "Content-Type: multipart/mixed; boundary=b\(level)\r\n\r\n--b\(level)\r\n" }
        let text = String(repeating: String(repeating: "x", count: 1022) + "\r\n", count: 64)
        raw += "Content-Type: text/plain\r\n\r\n" + text
        for level in (0..<32).reversed() { raw += "\r\n--b\(level)--\r\n" }
        let message = MailHog.Message(Self.stored(raw))
        let json = CompatJSON.data(message)
        #expect(json.count < 6 * raw.utf8.count, "\(json.count) bytes of JSON for \(raw.utf8.count)")
        #expect(message.mime?.parts.first?.body.isEmpty == false)
        var part = try #require(message.mime?.parts.first)
        while let inner = part.mime?.parts.first { part = inner }
        #expect(part.body == text)
    }

    @Test func searchKindsMapToMailpenTerms() {
        #expect(
            MailHogAPI<TestContext>.search(kind: "from", query: "a@b.c") == (try? SearchQuery(parsing: "from:a@b.c")))
        #expect(
            MailHogAPI<TestContext>.search(kind: "to", query: "x\"y") == (try? SearchQuery(parsing: #"rcpt:"x\"y""#)))
        #expect(
            MailHogAPI<TestContext>.search(kind: "containing", query: "two words")
                == (try? SearchQuery(parsing: #""two words""#)))
        #expect(MailHogAPI<TestContext>.search(kind: "subject", query: "x") == nil)
        #expect(MailHogAPI<TestContext>.search(kind: "to", query: "") == nil)
    }
}
