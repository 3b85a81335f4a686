import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import MailpenTesting
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("Message routes")
struct MessageRouteTests {
    /// An HTML message with an inline image (by cid:) and a script.
    static let htmlWithImage = """
        From: Shop <shop@example.com>\r
        To: bob@example.com\r
        Subject: Your order\r
        MIME-Version: 1.0\r
        Content-Type: multipart/related; boundary="rel"\r
        \r
        --rel\r
        Content-Type: text/html; charset=utf-8\r
        \r
        <html><body><p id="greeting">Thanks!</p><img src="cid:logo@shop"><script>alert(1)</script></body></html>\r
        --rel\r
        Content-Type: image/png\r
        Content-ID: <logo@shop>\r
        Content-Transfer-Encoding: base64\r
        Content-Disposition: inline; filename="logo.png"\r
        \r
        iVBORw0KGgo=\r
        --rel--\r

        """

    /// The quoted `filename` keeps printable ASCII but quotes and backslashes (a backslash would escape the
    /// closing quote); `filename*` carries the name whole.
    @Test func aPartsFilenameCannotBreakItsQuotes() async throws {
        try await withAPI { fixture, client in
            let raw =
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                + "--b\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9%22port%5C\r\n\r\nx\r\n--b--\r\n"
            let summary = try await fixture.deliver(raw)
            let part = try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/2", method: .get)
            #expect(
                part.headers[.contentDisposition] == "inline; filename=\"rport\"; filename*=UTF-8''r%C3%A9%22port%5C")
        }
    }

    @Test func fullMessageModel() async throws {
        try await withAPI { fixture, client in
            let raw = """
                From: =?UTF-8?Q?Al=C3=AFce?= <alice@example.com>\r
                To: Bob <bob@example.com>\r
                Reply-To: help@example.com\r
                Subject: Report\r
                Date: Sun, 29 Nov 2026 10:00:00 +0000\r
                Message-ID: <report-1@example.com>\r
                MIME-Version: 1.0\r
                Content-Type: multipart/mixed; boundary="b"\r
                \r
                --b\r
                Content-Type: text/plain; charset=utf-8\r
                \r
                See the report.\r
                --b\r
                Content-Type: text/csv; name="report.csv"\r
                Content-Disposition: attachment; filename="report.csv"\r
                \r
                a,b\r
                1,2\r
                --b--\r

                """
            let summary = try await fixture.deliver(raw)
            let response = try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .get)
            #expect(response.status == .ok)
            let json = try response.json
            #expect(json["id"] as? String == summary.id)
            #expect(json["subject"] as? String == "Report")
            #expect((json["from"] as? [String: Any])?["name"] as? String == "Alïce")
            #expect((json["replyTo"] as? [[String: Any]])?.first?["address"] as? String == "help@example.com")
            #expect(json["messageId"] as? String == "report-1@example.com")
            #expect(json["date"] as? String == "2026-11-29T10:00:00.000Z")
            #expect((json["text"] as? String)?.hasPrefix("See the report.") == true)
            #expect(json["html"] is NSNull)
            let attachments = try #require(json["attachments"] as? [[String: Any]])
            #expect(attachments.count == 1)
            #expect(attachments.first?["filename"] as? String == "report.csv")
            #expect(attachments.first?["url"] as? String == "/api/v1/messages/\(summary.id)/parts/2")
            let parts = json["parts"] as? [String: Any]
            #expect(parts?["contentType"] as? String == "multipart/mixed")
            #expect((parts?["children"] as? [[String: Any]])?.compactMap { $0["partId"] as? String } == ["1", "2"])
            let envelope = json["envelope"] as? [String: Any]
            #expect(envelope?["mailFrom"] as? String == "alice@example.com")
            #expect((envelope?["mailParameters"] as? [[String: Any]])?.first?["keyword"] as? String == "BODY")
            let session = json["session"] as? [String: Any]
            #expect(session?["heloName"] as? String == "client.test")
            #expect(session?["tlsVersion"] as? String == "TLSv1.3")
            #expect(session?["clientAddress"] as? String == "127.0.0.1")
            let headers = try #require(json["headers"] as? [[String: Any]])
            #expect(headers.first?["name"] as? String == "From")
            #expect(headers.first?["value"] as? String == "Alïce <alice@example.com>")

            let part = try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/2?download=1", method: .get)
            #expect(part.status == .ok)
            #expect(part.text == "a,b\r\n1,2")
            #expect(part.headers[.contentType] == "text/csv")
            #expect(part.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"report.csv\"") == true)
            #expect(part.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
            #expect(
                try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/9", method: .get).status
                    == .notFound)

            let headerList = try await client.execute(uri: "/api/v1/messages/\(summary.id)/headers", method: .get)
            #expect(try headerList.jsonArray.map { $0["name"] as? String }.prefix(3) == ["From", "To", "Reply-To"])
            #expect(try headerList.jsonArray.first?["raw"] as? String == " =?UTF-8?Q?Al=C3=AFce?= <alice@example.com>")

            let text = try await client.execute(uri: "/api/v1/messages/\(summary.id)/text", method: .get)
            #expect(text.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(text.text.hasPrefix("See the report."))
            let noHTML = try await client.execute(uri: "/api/v1/messages/\(summary.id)/html", method: .get)
            #expect(noHTML.status == .notFound)
        }
    }

    @Test func rawIsExactAndDownloadable() async throws {
        try await withAPI { fixture, client in
            let raw = "Subject: bytes\r\n\r\n\u{00e9}\u{00ff} bare\nLF\r\n"
            let summary = try await fixture.deliver(raw)
            let response = try await client.execute(uri: "/api/v1/messages/\(summary.id)/raw", method: .get)
            #expect(response.headers[.contentType] == "message/rfc822")
            #expect(Array(response.body.readableBytesView) == Array(raw.utf8))
            #expect(response.headers[.contentDisposition] == nil)
            let download = try await client.execute(uri: "/api/v1/messages/\(summary.id)/raw?download=1", method: .get)
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"\(summary.id).eml\"")
        }
    }

    @Test func htmlPreviewIsSandboxedWithCIDRewritten() async throws {
        try await withAPI { fixture, client in
            let summary = try await fixture.deliver(Self.htmlWithImage)
            let response = try await client.execute(uri: "/api/v1/messages/\(summary.id)/html", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(response.headers[.contentSecurityPolicy])
            #expect(policy.hasPrefix("sandbox "))
            #expect(!policy.contains("allow-scripts"))
            #expect(!policy.contains("allow-forms"))
            #expect(policy.contains("script-src 'none'"))
            #expect(policy.contains("object-src 'none'"))
            #expect(response.text.contains("src=\"/api/v1/messages/\(summary.id)/parts/2\""))
            #expect(!response.text.contains("cid:"))
            let image = try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/2", method: .get)
            #expect(image.headers[.contentType] == "image/png")
            #expect(Array(image.body.readableBytesView) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        }
    }

    @Test func patchReadAndTagsThenDelete() async throws {
        try await withAPI { fixture, client in
            let summary = try await fixture.deliver(TestMessage(subject: "Tag me"))
            let patched = try await client.execute(
                uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"read":true,"tags":["Signup","qa"]}"#))
            #expect(patched.status == .ok)
            #expect(try patched.json["read"] as? Bool == true)
            #expect(try patched.json["tags"] as? [String] == ["Signup", "qa"])
            #expect(try await client.execute(uri: "/api/v1/inboxes/default", method: .get).json["unread"] as? Int == 0)
            let tagged = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?q=tag%3Asignup%20is%3Aread", method: .get)
            #expect(try tagged.json["total"] as? Int == 1)
            let bad = try await client.execute(
                uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"seen":true}"#))
            #expect(bad.status == .badRequest)
            let badTag = try await client.execute(
                uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"tags":[""]}"#))
            #expect(badTag.status == .badRequest)
            #expect(
                try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .delete).status == .noContent)
            for suffix in ["", "/raw", "/headers", "/html", "/text", "/parts/1", "/checks/spam", "/checks/lint"] {
                let gone = try await client.execute(uri: "/api/v1/messages/\(summary.id)\(suffix)", method: .get)
                #expect(gone.status == .notFound, "\(suffix)")
                #expect(try gone.errorMessage.contains("does not exist"))
            }
            #expect(
                try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .delete).status == .notFound)
        }
    }

    @Test func checksAnswerWithTheirReports() async throws {
        try await withAPI { fixture, client in
            let gtube =
                "From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n"
            let spam = try await fixture.deliver(gtube)
            let spamReport = try await client.execute(uri: "/api/v1/messages/\(spam.id)/checks/spam", method: .get)
            #expect(spamReport.status == .ok)
            #expect(try spamReport.json["isSpam"] as? Bool == true)
            #expect(try spamReport.json["engine"] as? String == "builtin")
            #expect(
                try (spamReport.json["rules"] as? [[String: Any]])?.contains { $0["name"] as? String == "GTUBE" }
                    == true)

            let html = try await fixture.deliver(Self.htmlWithImage)
            let compatibility = try await client.execute(uri: "/api/v1/messages/\(html.id)/checks/html", method: .get)
            #expect(try compatibility.json["hasHTML"] as? Bool == true)
            #expect(try compatibility.json["supportPercent"] is Double || compatibility.json["supportPercent"] is Int)
            let links = try await client.execute(uri: "/api/v1/messages/\(html.id)/checks/links", method: .get)
            #expect(try links.json["followed"] as? Bool == false)
            let lint = try await client.execute(uri: "/api/v1/messages/\(spam.id)/checks/lint", method: .get)
            let ids = try #require(try lint.json["findings"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids.contains("missing-date"))
            #expect(ids.contains("missing-message-id"))
        }
    }
}
