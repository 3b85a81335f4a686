import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import MailpenTestSupport
import MailpenTesting
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("Operations routes")
struct OperationsRouteTests {
    @Test func healthMetricsAndOpenAPI() async throws {
        try await withAPI { fixture, client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(try health.json["status"] as? String == "ok")
            try await fixture.deliver(TestMessage(subject: "count me"))
            _ = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(
                metrics.text.contains(
                    #"mailpen_http_requests_total{route="/api/v1/inboxes",method="GET",status="200"} 1"#))
            let openAPI = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(try openAPI.json["openapi"] as? String == "3.0.3")
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
        try await withTemporaryDirectory(prefix: "mailpen-web") { folder in
            try await webUIFilesAreServed(from: folder)
        }
    }

    private func webUIFilesAreServed(from folder: URL) async throws {
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "<!doctype html><title>Mailpen</title>".write(
            to: folder.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "export const x = 1".write(
            to: folder.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
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
