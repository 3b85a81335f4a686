import MailpenMIME
import Testing

@testable import MailpenStore

/// What the search index is given for a message.
@Suite("Search document")
struct SearchDocumentTests {
    @Test func addressesAreEveryAddressHeaderInOrderAndEachFieldItsOwn() {
        let raw = [
            "To: Tee <t@x.y>", "From: f@x.y", "Cc: c@x.y", "Bcc: b@x.y", "Reply-To: r@x.y", "Sender: s@x.y",
            "To: t2@x.y", "", "body",
        ].joined(separator: "\r\n")
        let message = MIMEMessage(Array(raw.utf8))
        let document = SearchDocument(seq: 1, message: message, recipients: "t@x.y")
        let everyone = message.allAddresses.map { [$0.name, $0.address].compactMap { $0 }.joined(separator: " ") }
        #expect(document.addresses == everyone.joined(separator: " "))
        #expect(document.addresses == "f@x.y s@x.y r@x.y Tee t@x.y t2@x.y c@x.y b@x.y")
        #expect(document.fields.to == "tee <t@x.y>, t2@x.y")
        #expect(document.fields.replyTo == "r@x.y")
        #expect(document.fields.all == "f@x.y, s@x.y, r@x.y, tee <t@x.y>, t2@x.y, c@x.y, b@x.y")
    }
}
