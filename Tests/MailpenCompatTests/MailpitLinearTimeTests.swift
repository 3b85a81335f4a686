import Foundation
import MailpenMIME
import Testing

@testable import MailpenCompat
@testable import MailpenStore

/// Mailpit's message shape and HTML preview are read by any page through a plain `GET` (`latest` names the
/// newest message), so their cost must grow with the message, not with the square of its parts.
@Suite("Mailpit shapes: inline images, linear time")
struct MailpitLinearTimeTests {
    @Test func cidReferencesInAttributeValuesBecomePartURLs() {
        let raw = Array(
            ("Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"
                + "--b\r\nContent-Type: image/png\r\nContent-ID: <Logo@X>\r\n\r\npng\r\n--b--\r\n").utf8)
        let html =
            #"<img src="cid:logo@x"> <img src='CID:LOGO@X'> <img src=cid:logo@x> cid:logo@x <img src="cid:other">"#
        let linked = MailpitAPI<TestContext>.linkingInlineImages(html, id: "M1", parsed: MIMEMessage(raw))
        let url = "/api/v1/message/M1/part/2"
        #expect(
            linked == #"<img src="\#(url)"> <img src='\#(url)'> <img src=\#(url)> cid:logo@x <img src="cid:other">"#)
    }

    /// `parts` tiny inline images, each shown by a `cid:` reference in an HTML body of about `parts` × 120 bytes.
    static func message(parts: Int) -> [UInt8] {
        var raw = "Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n"
        for number in 0..<parts {
            raw += "<p>" + String(repeating: "x", count: 93) + "<img src=\"cid:i\(number)@x\"></p>"
        }
        raw += "\r\n"
        for number in 0..<parts {
            raw +=
                "--b\r\nContent-Type: image/png\r\nContent-ID: <i\(number)@x>\r\nContent-Disposition: inline\r\n\r\np\r\n"
        }
        return Array((raw + "--b--\r\n").utf8)
    }

    /// The fastest of three runs of `work` on `input`, in seconds.
    static func seconds(_ input: [UInt8], _ work: ([UInt8]) -> Void) -> Double {
        (0..<3).map { _ in
            let elapsed = ContinuousClock().measure { work(input) }
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }.min() ?? 0
    }

    /// 16 times the parts may take 16 times as long, with room for a busy machine; never 256 times.
    static func expectLinear(_ name: String, base: Int, _ work: ([UInt8]) -> Void) {
        let small = seconds(message(parts: base), work)
        let large = seconds(message(parts: base * 16), work)
        #expect(large / max(small, 1e-9) < 64, "\(name): \(small) s → \(large) s")
    }

    @Test func thePreviewLinksManyInlineImagesInLinearTime() {
        Self.expectLinear("preview", base: 150) { raw in
            let parsed = MIMEMessage(raw)
            _ = MailpitAPI<TestContext>.linkingInlineImages(parsed.htmlBody ?? "", id: "M1", parsed: parsed)
        }
    }

    @Test func theMessageShapeListsManyAttachmentsInLinearTime() {
        Self.expectLinear("message", base: 300) { raw in
            let stored = StoredMessage(
                summary: MailpitShapeTests.summary, envelope: MailpitShapeTests.stored.envelope, raw: raw)
            _ = Mailpit.Message(stored, parsed: MIMEMessage(raw))
        }
    }
}
