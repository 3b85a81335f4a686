import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import MailpenStore
import NIOCore
import Testing

@testable import MailpenHTTP

/// A store on a temporary file and the API's router over it, driven through HummingbirdTesting.
struct APIFixture {
    let store: SQLiteStore
    let directory: URL

    static func make() throws -> APIFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailpen-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(
            configuration: .init(path: directory.appendingPathComponent("m.sqlite").path))
        return APIFixture(store: store, directory: directory)
    }

    func dependencies(
        webRoot: String? = nil, basicAuthentication: String? = nil, createsInboxesOnFirstUse: Bool = true
    ) -> MailpenHTTP.Dependencies {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return MailpenHTTP.Dependencies(
            store: store, smtp: SMTPAdvertisement(host: "127.0.0.1", port: 2525, startTLS: true, implicitTLSPort: nil),
            webRoot: webRoot, basicAuthentication: basicAuthentication, maxMessageSize: 64 * 1024,
            createsInboxesOnFirstUse: createsInboxesOnFirstUse, logger: logger)
    }

    /// Stores a raw message through the store, as SMTP would, and waits until it is searchable.
    @discardableResult
    func deliver(_ raw: String, inbox: String = "default", to: [String] = ["bob@example.com"], from: String = "alice@example.com")
        async throws -> MessageSummary
    {
        let events = await store.indexed.subscribe()
        let summary = try await store.store(
            IncomingMessage(
                inbox: inbox, raw: Array(raw.utf8),
                envelope: MessageEnvelope(
                    source: .smtp, mailFrom: from, mailParameters: [.init(keyword: "BODY", value: "8BITMIME")],
                    recipients: to.map { .init(address: $0) }, heloName: "client.test", usedExtendedHello: true,
                    clientAddress: "127.0.0.1", clientPort: 40000, tlsVersion: "TLSv1.3", authenticatedUser: nil),
                inboxCreation: .withPassword("pw")))
        for try await event in events {
            if event.ids.contains(summary.id) { break }
        }
        return summary
    }

    func close() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` against the router with a fresh fixture.
func withAPI(
    webRoot: String? = nil, basicAuthentication: String? = nil, createsInboxesOnFirstUse: Bool = true,
    _ body: @Sendable (APIFixture, any TestClientProtocol) async throws -> Void
) async throws {
    let fixture = try APIFixture.make()
    let router = MailpenHTTP.makeResponderBuilder(
        fixture.dependencies(
            webRoot: webRoot, basicAuthentication: basicAuthentication, createsInboxesOnFirstUse: createsInboxesOnFirstUse))
    let application = Application(router: router)
    do {
        try await application.test(.router) { client in try await body(fixture, client) }
    } catch {
        await fixture.close()
        throw error
    }
    await fixture.close()
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    var jsonArray: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]]) ?? []
    }

    var text: String { String(buffer: body) }

    var errorMessage: String? { json["error"] as? String }
}

extension ByteBuffer {
    init(json: String) {
        self.init(string: json)
    }
}

/// Messages the tests search through.
enum Mail {
    static func simple(subject: String, from: String = "Alice <alice@example.com>", to: String = "Bob <bob@example.com>", body: String = "Hello", extra: String = "") -> String {
        "From: \(from)\r\nTo: \(to)\r\nSubject: \(subject)\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <\(UUID().uuidString)@example.com>\r\n\(extra)\r\n\(body)\r\n"
    }

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
}
