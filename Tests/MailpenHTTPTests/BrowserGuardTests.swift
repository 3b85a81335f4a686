import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MailpenTestSupport
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("HTTP: the browser guard")
struct BrowserGuardTests {
    @Test(arguments: [
        ("localhost", true), ("localhost:8025", true), ("LOCALHOST.", true), ("127.0.0.1:1", true),
        ("[::1]:8025", true),
        ("[::1]", true), ("evil.example", false), ("evil.example:8025", false), ("localhost.evil.example", false),
        ("127.0.0.2", false), ("[::2]:8025", false), ("mail.test:443", true), ("0.0.0.0:8025", false),
    ])
    func hostsAreComparedWithoutThePort(authority: String, allowed: Bool) {
        let hosts = AllowedHosts(listeningHost: "0.0.0.0", extra: ["Mail.Test"])
        #expect(hosts.allows(authority: authority) == allowed)
    }

    @Test func theListeningAddressIsServedUnlessItIsAWildcard() {
        #expect(AllowedHosts(listeningHost: "192.168.1.5").allows(authority: "192.168.1.5:8025"))
        #expect(AllowedHosts(listeningHost: "[fd00::5]").allows(authority: "[fd00::5]:8025"))
        #expect(!AllowedHosts(listeningHost: "::").allows(authority: "[::]:8025"))
        #expect(AllowedHosts(listeningHost: "127.0.0.1", extra: ["*"]).allows(authority: "anything.example"))
    }

    @Test func originsMustNameTheRequestsOwnHost() {
        #expect(
            BrowserGuardMiddleware<MailpenRequestContext>.authority(ofOrigin: "http://localhost:8025")
                == "localhost:8025")
        #expect(BrowserGuardMiddleware<MailpenRequestContext>.authority(ofOrigin: "http://mail.test:80") == "mail.test")
        #expect(
            BrowserGuardMiddleware<MailpenRequestContext>.authority(ofOrigin: "https://mail.test:443") == "mail.test")
        #expect(BrowserGuardMiddleware<MailpenRequestContext>.authority(ofOrigin: "null") == nil)
        #expect(BrowserGuardMiddleware<MailpenRequestContext>.sameAuthority("mail.test", "Mail.Test:80"))
        #expect(!BrowserGuardMiddleware<MailpenRequestContext>.sameAuthority("localhost:3000", "localhost:8025"))
    }

    @Test func stateChangesFromOtherOriginsAreRefused() async throws {
        try await withAPI { _, client in
            let json: HTTPFields = [.contentType: "application/json"]
            for (name, value) in [
                ("Origin", "http://evil.example"), ("Origin", "null"), ("Sec-Fetch-Site", "cross-site"),
                ("Sec-Fetch-Site", "same-site"),
            ] {
                var headers = json
                headers[try #require(HTTPField.Name(name))] = value
                let created = try await client.execute(
                    uri: "/api/v1/inboxes", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"name":"evil"}"#))
                #expect(created.status == .forbidden, "\(name): \(value)")
                #expect(try created.errorMessage.contains("cross-origin"))
                let deleted = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages", method: .delete, headers: headers)
                #expect(deleted.status == .forbidden)
                // Reading is not a state change; the browser keeps the answer from the page anyway.
                let listed = try await client.execute(uri: "/api/v1/inboxes", method: .get, headers: headers)
                #expect(listed.status == .ok)
            }
            var sameOrigin = json
            sameOrigin[try #require(HTTPField.Name("Sec-Fetch-Site"))] = "same-origin"
            let created = try await client.execute(
                uri: "/api/v1/inboxes", method: .post, headers: sameOrigin,
                body: ByteBuffer(string: #"{"name":"mine"}"#))
            #expect(created.status == .created)
            let names = try await client.execute(uri: "/api/v1/inboxes", method: .get).text
            #expect(!names.contains("evil"))
        }
    }

    @Test func bodiesOfTheWrongMediaTypeAre415() async throws {
        try await withAPI { _, client in
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil] {
                var headers: HTTPFields = [:]
                if let type { headers[.contentType] = type }
                let created = try await client.execute(
                    uri: "/api/v1/inboxes", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"name":"shop"}"#))
                #expect(created.status == .unsupportedMediaType, "\(type ?? "none")")
                let ingested = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages", method: .post, headers: headers,
                    body: ByteBuffer(string: "To: a@b.example\r\nSubject: x\r\n\r\nbody\r\n"))
                #expect(ingested.status == .unsupportedMediaType)
            }
            let withCharset = try await client.execute(
                uri: "/api/v1/inboxes", method: .post, headers: [.contentType: "Application/JSON; charset=utf-8"],
                body: ByteBuffer(string: #"{"name":"shop"}"#))
            #expect(withCharset.status == .created)
        }
    }

    @Test func internalErrorsSayNothingOfTheirCause() async throws {
        struct LeakyError: Error, CustomStringConvertible {
            var description: String {
                "SQL error: no such table secret in SELECT * FROM secret (/home/me/mailpen.sqlite)"
            }
        }
        try await withAPIFixture { fixture in
            let router = MailpenHTTP.makeRouter(fixture.dependencies())
            router.get("boom") { _, _ -> String in throw LeakyError() }
            try await Application(router: router).test(.router) { client in
                let response = try await client.execute(uri: "/boom", method: .get)
                #expect(response.status == .internalServerError)
                #expect(response.text == #"{"error":"internal error"}"#)
            }
        }
    }

    @Test func theWebRootServesRegularFilesInsideItOnly() async throws {
        try await withTemporaryDirectory(prefix: "mailpen-web") { folder in
            try Self.checkWebRoot(in: folder)
        }
    }

    /// Serves `folder`/web, with files inside and links to files outside it.
    private static func checkWebRoot(in folder: URL) throws {
        let root = folder.appendingPathComponent("web")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("js"), withIntermediateDirectories: true)
        try Data("<html>".utf8).write(to: root.appendingPathComponent("index.html"))
        try Data("x".utf8).write(to: root.appendingPathComponent("js/app.js"))
        try Data("secret".utf8).write(to: root.appendingPathComponent(".env"))
        try Data("outside".utf8).write(to: folder.appendingPathComponent("outside.txt"))
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("link.txt"),
            withDestinationURL: folder.appendingPathComponent("outside.txt"))
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("inner.js"), withDestinationURL: root.appendingPathComponent("js/app.js"))
        let middleware = WebUIMiddleware<MailpenRequestContext>(root: root.path)
        #expect(middleware.file(for: "/") != nil)
        #expect(middleware.file(for: "/js/app.js") != nil)
        #expect(middleware.file(for: "/inner.js") != nil)
        for refused in [
            "/.env", "/link.txt", "/js", "/js/", "/../outside.txt", "/js/../../outside.txt", "//etc/passwd", "/missing",
        ] {
            #expect(middleware.file(for: refused) == nil, "\(refused)")
        }
    }
}
