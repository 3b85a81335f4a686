import Foundation
import MailpenMIME
import Testing

@testable import MailpenIMAPCore

@Suite("IMAP message sections")
struct IMAPMessageContentTests {
    static func fixture(_ name: String) throws -> IMAPMessageContent {
        let url = DovecotAgreementTests.repository.appendingPathComponent("fixtures/mime/\(name).eml")
        return IMAPMessageContent(raw: Array(try Data(contentsOf: url)))
    }

    static func text(_ bytes: ArraySlice<UInt8>?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func bareLineFeedsBecomeCRLF() {
        let content = IMAPMessageContent(raw: Array("Subject: x\n\nbody\rline\n".utf8))
        #expect(String(decoding: content.bytes, as: UTF8.self) == "Subject: x\r\n\r\nbody\r\nline\r\n")
        #expect(IMAPMessageContent.servedSize(of: Array("a\nb\r\nc\r".utf8)) == 9)
    }

    @Test func sectionsOfANestedMessage() throws {
        // multipart/report: 1 text/plain, 2 message/delivery-status, 3 message/rfc822 holding a multipart.
        let content = try Self.fixture("dsn-postfix-bounce")
        #expect(Self.text(content.bytes(of: IMAPSection(part: [1])))?.hasPrefix("This is the mail system") == true)
        #expect(
            Self.text(content.bytes(of: IMAPSection(part: [1], text: .mime)))?.hasPrefix(
                "Content-Description: Notification") == true)
        #expect(
            Self.text(content.bytes(of: IMAPSection(part: [3], text: .header)))?.contains(
                "Subject: Welcome to Staging App") == true)
        #expect(Self.text(content.bytes(of: IMAPSection(part: [3, 1]))) == "Welcome aboard!")
        #expect(
            Self.text(content.bytes(of: IMAPSection(part: [3, 2], text: .mime)))?.hasPrefix("Content-Type: text/html")
                == true)
        #expect(content.bytes(of: IMAPSection(part: [3, 3])) == nil)
        #expect(content.bytes(of: IMAPSection(part: [1, 1])) == nil)
        #expect(content.bytes(of: IMAPSection(part: [1], text: .header)) == nil)
        #expect(content.bytes(of: IMAPSection(part: [4])) == nil)
    }

    @Test func headerFieldsKeepFoldingAndEndInABlankLine() throws {
        let content = try Self.fixture("folded-headers-mbox-from")
        let subject = Self.text(content.bytes(of: IMAPSection(text: .headerFields(["SUBJECT"], not: false))))
        #expect(
            subject?.hasPrefix(
                "Subject: This is a rather long subject line that a mailing list folded over\r\n  several") == true)
        #expect(subject?.hasSuffix("characters\r\n\r\n") == true)
        let none = Self.text(content.bytes(of: IMAPSection(text: .headerFields(["X-NOTHING"], not: false))))
        #expect(none == "\r\n")
        let allBut = Self.text(content.bytes(of: IMAPSection(text: .headerFields(["SUBJECT"], not: true))))
        #expect(allBut?.contains("Subject:") == false)
        #expect(allBut?.contains("Message-ID:\r\n <thread-13") == true)
    }

    @Test func aSinglePartMessageBodyIsPartOne() throws {
        let content = IMAPMessageContent(raw: Array("Subject: x\r\nContent-Type: text/plain\r\n\r\nhello\r\n".utf8))
        #expect(Self.text(content.bytes(of: IMAPSection(part: [1]))) == "hello\r\n")
        #expect(Self.text(content.bytes(of: IMAPSection(part: [1], text: .mime)))?.hasPrefix("Subject: x") == true)
        #expect(content.bytes(of: IMAPSection(part: [2])) == nil)
        #expect(Self.text(content.bytes(of: IMAPSection(text: .text))) == "hello\r\n")
    }

    @Test func rfc2231PiecesMergeAsDovecotMergesThem() {
        let merged = IMAPBodyStructure.mergingRFC2231Continuations([
            ("charset", "us-ascii"), ("title*1", "b%c"), ("title*0*", "utf-8''a"), ("x*2", "gap"), ("x*0", "y"),
        ])
        #expect(merged.map { "\($0.0)=\($0.1)" } == ["charset=us-ascii", "title*=utf-8''ab%25c", "x*0=y", "x*2=gap"])
    }

    @Test(arguments: [
        ("\"Doe, John\" <j@x.org>", "((\"Doe, John\" NIL \"j\" \"x.org\"))"),
        ("j@x.org (John)", "((\"John\" NIL \"j\" \"x.org\"))"),
        ("<@a.net,@b.net:j@x.org>", "((NIL \"@a.net,@b.net\" \"j\" \"x.org\"))"),
        ("team: a@x.org;", "((NIL NIL \"team\" NIL)(NIL NIL \"a\" \"x.org\")(NIL NIL NIL NIL))"),
        (
            "a@x.org,,b@x.org",
            "((NIL NIL \"a\" \"x.org\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")(NIL NIL \"b\" \"x.org\"))"
        ),
        ("undisclosed", "((NIL NIL \"undisclosed\" \"MISSING_DOMAIN\"))"),
        ("=?utf-8?q?J=C3=B6rg?= <j@x.org>", "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.org\"))"),
        ("\"a b\"@x.org", "((NIL NIL \"\\\"a b\\\"\" \"x.org\"))"),
        ("<>", "NIL"),
        ("((((((((", "NIL"),
    ])
    func addressesAsTheEnvelopeShowsThem(header: String, expected: String) {
        let content = IMAPMessageContent(raw: Array("To: \(header)\r\n\r\n".utf8))
        var writer = IMAPWriter()
        IMAPEnvelope(content: content, part: content.message.root).write(to: &writer)
        let envelope = String(decoding: writer.bytes, as: UTF8.self)
        // The To list is the sixth item: date, subject, from, sender, reply-to are NIL here.
        #expect(envelope == "(NIL NIL NIL NIL NIL \(expected) NIL NIL NIL NIL)")
    }

    @Test func stringsAreQuotedOrSentAsLiterals() {
        var writer = IMAPWriter()
        writer.string("plain")
        writer.space()
        writer.string("say \"hi\" \\o/")
        writer.space()
        writer.string("caf\u{e9}")
        writer.space()
        writer.string("two\r\nlines")
        #expect(
            String(decoding: writer.bytes, as: UTF8.self)
                == "\"plain\" \"say \\\"hi\\\" \\\\o/\" {5}\r\ncafé {10}\r\ntwo\r\nlines")
    }

    @Test func internalDatesAreIMAPDateTimes() {
        #expect(IMAPDateTime.format(Date(timeIntervalSince1970: 0)) == " 1-Jan-1970 00:00:00 +0000")
        #expect(IMAPDateTime.format(Date(timeIntervalSince1970: 1_709_251_199)) == "29-Feb-2024 23:59:59 +0000")
        #expect(IMAPDateTime.format(Date(timeIntervalSince1970: .infinity)) == " 1-Jan-1970 00:00:00 +0000")
        #expect(IMAPDateTime.format(Date(timeIntervalSince1970: 1e300)) == "31-Dec-9999 23:59:59 +0000")
        #expect(IMAPDateTime.format(Date(timeIntervalSince1970: -1e300)) == " 1-Jan-0000 00:00:00 +0000")
    }
}
