import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("Message routes")
struct MessageRouteTests {
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
            let json = response.json
            #expect(json["id"] as? String == summary.id)
            #expect(json["subject"] as? String == "Report")
            #expect((json["from"] as? [String: Any])?["name"] as? String == "Alïce")
            #expect((json["replyTo"] as? [[String: Any]])?.first?["address"] as? String == "help@example.com")
            #expect(json["messageId"] as? String == "report-1@example.com")
            #expect(json["date"] as? String == "2026-11-29T10:00:00.000Z")
            #expect((json["text"] as? String)?.hasPrefix("See the report.") == true)
            #expect(json["html"] is NSNull)
            let attachments = json["attachments"] as? [[String: Any]] ?? []
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
            let headers = json["headers"] as? [[String: Any]] ?? []
            #expect(headers.first?["name"] as? String == "From")
            #expect(headers.first?["value"] as? String == "Alïce <alice@example.com>")

            let part = try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/2?download=1", method: .get)
            #expect(part.status == .ok)
            #expect(part.text == "a,b\r\n1,2")
            #expect(part.headers[.contentType] == "text/csv")
            #expect(part.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"report.csv\"") == true)
            #expect(part.headers[.contentSecurityPolicy]?.hasPrefix("sandbox") == true)
            #expect(try await client.execute(uri: "/api/v1/messages/\(summary.id)/parts/9", method: .get).status == .notFound)

            let headerList = try await client.execute(uri: "/api/v1/messages/\(summary.id)/headers", method: .get)
            #expect(headerList.jsonArray.map { $0["name"] as? String }.prefix(3) == ["From", "To", "Reply-To"])
            #expect(headerList.jsonArray.first?["raw"] as? String == " =?UTF-8?Q?Al=C3=AFce?= <alice@example.com>")

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
            let summary = try await fixture.deliver(Mail.htmlWithImage)
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
            let summary = try await fixture.deliver(Mail.simple(subject: "Tag me"))
            let patched = try await client.execute(
                uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(json: #"{"read":true,"tags":["Signup","qa"]}"#))
            #expect(patched.status == .ok)
            #expect(patched.json["read"] as? Bool == true)
            #expect(patched.json["tags"] as? [String] == ["Signup", "qa"])
            #expect(try await client.execute(uri: "/api/v1/inboxes/default", method: .get).json["unread"] as? Int == 0)
            let tagged = try await client.execute(uri: "/api/v1/inboxes/default/messages?q=tag%3Asignup%20is%3Aread", method: .get)
            #expect(tagged.json["total"] as? Int == 1)
            let bad = try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(json: #"{"seen":true}"#))
            #expect(bad.status == .badRequest)
            let badTag = try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(json: #"{"tags":[""]}"#))
            #expect(badTag.status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .delete).status == .noContent)
            for suffix in ["", "/raw", "/headers", "/html", "/text", "/parts/1", "/checks/spam", "/checks/lint"] {
                let gone = try await client.execute(uri: "/api/v1/messages/\(summary.id)\(suffix)", method: .get)
                #expect(gone.status == .notFound, "\(suffix)")
                #expect(gone.errorMessage?.contains("does not exist") == true)
            }
            #expect(try await client.execute(uri: "/api/v1/messages/\(summary.id)", method: .delete).status == .notFound)
        }
    }

    @Test func checksAnswerWithTheirReports() async throws {
        try await withAPI { fixture, client in
            let gtube = "From: a@example.com\r\nTo: b@example.com\r\nSubject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n"
            let spam = try await fixture.deliver(gtube)
            let spamReport = try await client.execute(uri: "/api/v1/messages/\(spam.id)/checks/spam", method: .get)
            #expect(spamReport.status == .ok)
            #expect(spamReport.json["isSpam"] as? Bool == true)
            #expect(spamReport.json["engine"] as? String == "builtin")
            #expect((spamReport.json["rules"] as? [[String: Any]])?.contains { $0["name"] as? String == "GTUBE" } == true)

            let html = try await fixture.deliver(Mail.htmlWithImage)
            let compatibility = try await client.execute(uri: "/api/v1/messages/\(html.id)/checks/html", method: .get)
            #expect(compatibility.json["hasHTML"] as? Bool == true)
            #expect(compatibility.json["supportPercent"] is Double || compatibility.json["supportPercent"] is Int)
            let links = try await client.execute(uri: "/api/v1/messages/\(html.id)/checks/links", method: .get)
            #expect(links.json["followed"] as? Bool == false)
            let lint = try await client.execute(uri: "/api/v1/messages/\(spam.id)/checks/lint", method: .get)
            let ids = (lint.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.contains("missing-date"))
            #expect(ids.contains("missing-message-id"))
        }
    }
}

@Suite("Operations routes")
struct OperationsRouteTests {
    @Test func healthMetricsAndOpenAPI() async throws {
        try await withAPI { fixture, client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.json["status"] as? String == "ok")
            try await fixture.deliver(Mail.simple(subject: "count me"))
            _ = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"mailpen_http_requests_total{route="/api/v1/inboxes",method="GET",status="200"} 1"#))
            let openAPI = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(openAPI.json["openapi"] as? String == "3.0.3")
        }
    }

    @Test func basicAuthenticationGuardsEverything() async throws {
        try await withAPI(basicAuthentication: "qa:secret") { _, client in
            let denied = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            #expect(denied.status == .unauthorized)
            #expect(denied.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
            let wrong = try await client.execute(
                uri: "/api/v1/inboxes", method: .get,
                headers: [.authorization: "Basic " + Data("qa:wrong".utf8).base64EncodedString()])
            #expect(wrong.status == .unauthorized)
            let allowed = try await client.execute(
                uri: "/api/v1/inboxes", method: .get,
                headers: [.authorization: "Basic " + Data("qa:secret".utf8).base64EncodedString()])
            #expect(allowed.status == .ok)
            for path in ["/", "/metrics", "/api/v1/openapi.json", "/api/v1/events"] {
                #expect(try await client.execute(uri: path, method: .get).status == .unauthorized, "\(path)")
            }
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func webUIFilesAreServedWithoutEscapingTheFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailpen-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "<!doctype html><title>Mailpen</title>".write(to: folder.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "export const x = 1".write(to: folder.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withAPI(webRoot: folder.path) { _, client in
            let index = try await client.execute(uri: "/", method: .get)
            #expect(index.status == .ok)
            #expect(index.headers[.contentType] == "text/html; charset=utf-8")
            #expect(index.text.contains("<title>Mailpen</title>"))
            let script = try await client.execute(uri: "/js/app.js", method: .get)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            let escape = try await client.execute(uri: "/../../etc/passwd", method: .get)
            #expect(escape.status == .notFound)
            let api = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            #expect(api.status == .ok)
        }
    }
}

@Suite("RFC 3339 times")
struct RFC3339Tests {
    static let accepted: [(String, Double)] = [
        ("2026-11-29T10:00:00Z", 1_795_946_400),
        ("2026-11-29T10:00:00.5Z", 1_795_946_400.5),
        ("2026-11-29t10:00:00.123456z", 1_795_946_400.123456),
        ("2026-11-29 11:30:00+01:30", 1_795_946_400),
        ("2026-11-29T08:00:00-02:00", 1_795_946_400),
        ("1969-12-31T23:59:59.999Z", -0.001),
    ]

    @Test("parses RFC 3339 forms", arguments: accepted)
    func parses(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.date(from: text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: ["", "2026-11-29", "2026-11-29T10:00Z", "2026-02-30T10:00:00Z", "2026-11-29T10:00:00", "2026-11-29T10:00:00.Z", "2026-11-29T25:00:00Z", "2026-11-29T10:00:00Zjunk"])
    func rejects(text: String) {
        #expect(RFC3339.date(from: text) == nil)
    }

    @Test func writesMillisecondsThatReadBackExactly() throws {
        for milliseconds in [Int64(0), 1, 999, 1_795_946_400_428, -1, -1001] {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = RFC3339.string(from: date)
            #expect(text.count == 24 && text.hasSuffix("Z"))
            let back = try #require(RFC3339.date(from: text))
            #expect(Int64((back.timeIntervalSince1970 * 1000).rounded()) == milliseconds, "\(text)")
        }
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_795_946_400.428)) == "2026-11-29T10:00:00.428Z")
    }
}

@Suite("HEAD and methods")
struct MethodTests {
    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await withAPI { _, client in
            let head = try await client.execute(uri: "/api/v1/inboxes", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes", method: .put)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "GET, POST")
            #expect(response.errorMessage?.contains("use GET, POST") == true)
        }
    }
}
