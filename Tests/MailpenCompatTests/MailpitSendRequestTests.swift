import Foundation
import MailpenMIME
import Testing

@testable import MailpenCompat

@Suite("Mailpit send request")
struct MailpitSendRequestTests {
    /// The description's example body for `POST /api/v1/send`, built from the examples of its fields.
    static func exampleBody() throws -> [String: Any] {
        let swagger = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: compatFixtures.appendingPathComponent("mailpit-api-v1.swagger.json")))
                as? [String: Any])
        let paths = try #require(swagger["paths"] as? [String: Any])
        let send = try #require(
            ((paths["/api/v1/send"] as? [String: Any])?["post"] as? [String: Any])?["parameters"] as? [[String: Any]])
        let schema = try #require(send.first?["schema"] as? [String: Any])
        func example(_ schema: [String: Any]) -> Any? {
            if let value = schema["example"] { return value }
            if schema["type"] as? String == "object", let properties = schema["properties"] as? [String: [String: Any]]
            {
                return properties.compactMapValues(example)
            }
            if schema["type"] as? String == "array", let items = schema["items"] as? [String: Any],
                let item = example(items)
            {
                return [item]
            }
            return nil
        }
        return try #require(example(schema) as? [String: Any])
    }

    @Test func theDescriptionsExampleComposesTheMessageItDescribes() throws {
        let body = try Self.exampleBody()
        let request = try MailpitSendRequest(try LenientJSONObject(Array(JSONSerialization.data(withJSONObject: body))))
        #expect(request.recipients == ["jane@example.com", "manager@example.com", "jack@example.com"])
        let raw = request.compose(date: Date(timeIntervalSince1970: 0), messageID: "id@mailpen", boundary: "B")
        let parsed = MIMEMessage(raw)
        #expect(parsed.subject == "Mailpit message via the HTTP API")
        #expect(parsed.from.first?.name == "John Doe" && parsed.from.first?.address == "john@example.com")
        #expect(parsed.to.map(\.address) == ["jane@example.com"])
        #expect(parsed.cc.map(\.address) == ["manager@example.com"])
        #expect(parsed.bcc.isEmpty)
        #expect(parsed.replyTo.map(\.address) == ["secretary@example.com"])
        #expect(parsed.header["X-IP"] == "1.2.3.4")
        #expect(parsed.messageID == "id@mailpen")
        #expect(parsed.textBody == "Mailpit is awesome!")
        #expect(parsed.htmlBody?.contains("cid:mailpit-logo") == true)
        let logo = try #require(parsed.attachments.first)
        #expect(logo.filename == "mailpit.png" && logo.contentType == "image/png" && logo.contentID == "mailpit-logo")
        #expect(parsed.decodedBody(ofPartWithID: logo.partID)?.prefix(4) == [0x89, 0x50, 0x4E, 0x47])
        #expect(parsed.date == Date(timeIntervalSince1970: 0))
        #expect(request.tags == ["Tag 1", "Tag 2"])
    }

    @Test func mailpitsValidationMessages() throws {
        func invalid(_ json: String) -> String? {
            do {
                _ = try MailpitSendRequest(try LenientJSONObject(Array(json.utf8)))
                return nil
            } catch let error as MailpitSendRequest.Invalid {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(invalid(#"{"To":[{"Email":"a@b.c"}]}"#) == "From is required")
        #expect(invalid(#"{"From":{"Email":"a@b.c"}}"#) == "No valid recipients found")
        #expect(invalid(#"{"From":{"Email":"nope"},"To":[{"Email":"a@b.c"}]}"#) == "Invalid From address: nope")
        #expect(invalid(#"{"From":{"Email":"a@b.c"},"Bcc":["x y@b.c"]}"#) == "Invalid Bcc address: x y@b.c")
        // A line break in an address would start a header of the sender's choosing.
        #expect(
            invalid(#"{"From":{"Email":"a@b.c"},"To":[{"Email":"a\r\nBcc:x@y.z"}]}"#)
                == "Invalid To address: a\r\nBcc:x@y.z")
        #expect(invalid(#"{"From":{"Email":"a\nb@c.d"},"To":[{"Email":"a@b.c"}]}"#) == "Invalid From address: a\nb@c.d")
        #expect(
            invalid(#"{"From":{"Email":"a@b.c"},"To":[{"Email":"a@b.c"}],"Headers":{"X-A":"1\r\nBcc: x@y.z"}}"#)
                == "Invalid header: X-A")
        #expect(
            invalid(
                #"{"From":{"Email":"a@b.c"},"To":[{"Email":"a@b.c"}],"Attachments":[{"Filename":"f","Content":"***"}]}"#
            )
                == "Attachment content for f is not base64")
        // Each attachment field becomes part of a header line: no line breaks or other control characters.
        let file = #"{"From":{"Email":"a@b.c"},"To":[{"Email":"a@b.c"}],"Attachments":[{"Content":"aGk=","#
        #expect(
            invalid(file + #""Filename":"r.pdf\"\r\nContent-Type: text/html"}]}"#)?.hasPrefix(
                "Invalid attachment filename") == true)
        #expect(
            invalid(file + #""Filename":"r.pdf","ContentType":"application/pdf\r\nX-Evil: 1"}]}"#)
                == "Invalid attachment content type for r.pdf")
        #expect(
            invalid(file + #""Filename":"r.pdf","ContentID":"a>\r\nX-F: 1"}]}"#)
                == "Invalid attachment content ID for r.pdf")
        #expect(invalid(file + #""Filename":"r.pdf","ContentID":"logo@x"}]}"#) == nil)
        #expect(invalid(file + #""Filename":"r.pdf","ContentID":"<logo@x>"}]}"#) == nil)
        // Go's decoder matches field names without regard to case.
        #expect(invalid(#"{"from":{"email":"a@b.c"},"to":[{"email":"d@e.f"}]}"#) == nil)
    }

    /// Tags go into the X-Tags header cleaned as Mailpit cleans them, so none can carry a header of its own.
    @Test func tagsCannotAddHeaders() throws {
        let request = try MailpitSendRequest(
            try LenientJSONObject(
                Array(
                    #"{"From":{"Email":"a@b.c"},"To":[{"Email":"d@e.f"}],"Tags":["t1\r\nReply-To: x@evil.test","ok"]}"#
                        .utf8)))
        let raw = String(decoding: request.compose(date: Date(), messageID: "m@x", boundary: "b"), as: UTF8.self)
        let lines = raw.components(separatedBy: "\r\n")
        #expect(!lines.contains { $0.hasPrefix("Reply-To") })
        #expect(lines.contains("X-Tags: t1Reply-To xevil.test, ok"))
    }

    /// A part with a Content-ID but no HTML to show it in is sent anyway, inline, not dropped.
    @Test func inlinePartsWithoutHTMLAreKept() throws {
        let request = try MailpitSendRequest(
            try LenientJSONObject(
                Array(
                    #"{"From":{"Email":"a@b.c"},"To":[{"Email":"d@e.f"}],"Text":"only text","Attachments":[{"Filename":"logo.png","ContentID":"logo","Content":"aGk="},{"Filename":"doc.txt","Content":"aGk="}]}"#
                        .utf8)))
        let message = MIMEMessage(request.compose(date: Date(), messageID: "m@x", boundary: "b"))
        let attachments = message.attachments
        #expect(attachments.contains { $0.isInline && $0.contentID == "logo" && $0.filename == "logo.png" })
        #expect(attachments.contains { !$0.isInline && $0.filename == "doc.txt" })
    }

    @Test func nonASCIINamesAndSubjectsAreEncodedWords() throws {
        let request = try MailpitSendRequest(
            try LenientJSONObject(
                Array(#"{"From":{"Email":"a@b.c","Name":"Zoë"},"To":[{"Email":"d@e.f"}],"Subject":"Grüße"}"#.utf8)))
        let parsed = MIMEMessage(request.compose(date: Date(), messageID: "m@x", boundary: "B"))
        #expect(parsed.subject == "Grüße")
        #expect(parsed.from.first?.name == "Zoë")
        #expect(parsed.textBody == "")
    }
}
