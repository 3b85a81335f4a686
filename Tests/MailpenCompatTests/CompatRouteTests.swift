import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MailpenHTTP
import MailpenStore
import NIOCore
import Testing

@testable import MailpenCompat

/// Mailpit's and MailHog's routes on the server's routers, with the server's middleware: the shapes,
/// the quirks clients depend on, and the browser guard in front of every state change.
@Suite("Compatibility routes")
struct CompatRouteTests {
    static func dependencies(_ fixture: CompatStoreFixture) -> MailpenHTTP.Dependencies {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var dependencies = MailpenHTTP.Dependencies(
            store: fixture.store,
            smtp: SMTPAdvertisement(host: "127.0.0.1", port: 2525, startTLS: false, implicitTLSPort: nil),
            logger: logger)
        dependencies.mailpitAPI = fixture.dependencies
        return dependencies
    }

    /// The main listener's router: Mailpen's API and Mailpit's.
    static func withMailpit(_ body: @Sendable (CompatStoreFixture, any TestClientProtocol) async throws -> Void)
        async throws
    {
        try await withCompatStore { fixture in
            let application = Application(router: MailpenHTTP.makeResponderBuilder(dependencies(fixture)))
            try await application.test(.router) { client in try await body(fixture, client) }
        }
    }

    /// The `--mailhog-api` listener's router.
    static func withMailHog(_ body: @Sendable (CompatStoreFixture, any TestClientProtocol) async throws -> Void)
        async throws
    {
        try await withCompatStore { fixture in
            let router = MailpenHTTP.makeMailHogRouter(dependencies(fixture), compat: fixture.dependencies)
            try await Application(router: router).test(.router) { client in try await body(fixture, client) }
        }
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    @Test func theListUsesMailpitsNamesAndCounts() async throws {
        try await Self.withMailpit { fixture, client in
            try await fixture.deliver("First")
            let second = try await fixture.deliver("Second", inbox: "shop")
            let response = try await client.execute(uri: "/api/v1/messages?limit=1", method: .get)
            #expect(response.status == .ok)
            let list = try Self.object(response)
            #expect(list["total"] as? Int == 2 && list["messages_count"] as? Int == 2 && list["count"] as? Int == 1)
            #expect(list["unread"] as? Int == 2 && list["messages_unread"] as? Int == 2 && list["start"] as? Int == 0)
            let entry = try #require((list["messages"] as? [[String: Any]])?.first)
            #expect(entry["ID"] as? String == second.id && entry["Subject"] as? String == "Second")
            #expect((entry["From"] as? [String: String]) == ["Name": "Alice", "Address": "alice@example.com"])
            #expect(entry["Attachments"] as? Int == 0 && entry["Read"] as? Bool == false)
            #expect(entry["Created"] is String && entry["MessageID"] is String)
        }
    }

    @Test func openingAMessageMarksItReadUnlessAnotherSiteOpensIt() async throws {
        try await Self.withMailpit { fixture, client in
            let message = try await fixture.deliver("Open me")
            let foreign = try await client.execute(
                uri: "/api/v1/message/\(message.id)", method: .get,
                headers: [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"])
            #expect(foreign.status == .ok)
            #expect(try await fixture.store.summary(id: message.id)?.isRead == false)
            let opened = try await client.execute(uri: "/api/v1/message/latest", method: .get)
            #expect(try Self.object(opened)["ID"] as? String == message.id)
            #expect(try Self.object(opened)["Read"] as? Bool == true)
            #expect(try await fixture.store.summary(id: message.id)?.isRead == true)
        }
    }

    @Test func putWithoutIDsMarksEveryMessage() async throws {
        try await Self.withMailpit { fixture, client in
            let one = try await fixture.deliver("One")
            let two = try await fixture.deliver("Two", inbox: "shop")
            let json: HTTPFields = [.contentType: "application/json"]
            let read = try await client.execute(
                uri: "/api/v1/messages", method: .put, headers: json, body: ByteBuffer(string: #"{"Read":true}"#))
            #expect(read.status == .ok && String(buffer: read.body) == "ok")
            #expect(try await fixture.store.summary(id: one.id)?.isRead == true)
            #expect(try await fixture.store.summary(id: two.id)?.isRead == true)
            let both = try await client.execute(
                uri: "/api/v1/messages", method: .put, headers: json,
                body: ByteBuffer(string: #"{"IDs":["\#(one.id)"],"Search":"x","Read":false}"#))
            #expect(both.status == .badRequest)
            #expect(String(buffer: both.body) == "You may specify either IDs or a search query, not both")
        }
    }

    @Test(arguments: ["", "ids=x&ids=y", "{}", #"{"IDs":[]}"#])
    func deleteWithoutIDsDeletesEverything(body: String) async throws {
        try await Self.withMailpit { fixture, client in
            try await fixture.deliver("One")
            try await fixture.deliver("Two", inbox: "shop")
            let response = try await client.execute(
                uri: "/api/v1/messages", method: .delete, body: ByteBuffer(string: body))
            #expect(response.status == .ok && String(buffer: response.body) == "ok")
            #expect(try await fixture.store.inboxes().map(\.total).reduce(0, +) == 0)
        }
    }

    @Test func deleteWithIDsDeletesThoseAlone() async throws {
        try await Self.withMailpit { fixture, client in
            let one = try await fixture.deliver("One")
            let two = try await fixture.deliver("Two")
            let response = try await client.execute(
                uri: "/api/v1/messages", method: .delete, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"IDs":["\#(one.id)"]}"#))
            #expect(response.status == .ok)
            #expect(try await fixture.store.summary(id: one.id) == nil)
            #expect(try await fixture.store.summary(id: two.id) != nil)
        }
    }

    @Test func unknownMessagesAndUnconfiguredFeaturesAnswerAsMailpit() async throws {
        try await Self.withMailpit { fixture, client in
            let missing = try await client.execute(uri: "/api/v1/message/01ARZ3NDEKTSV4RRFFQ69G5FAV", method: .get)
            #expect(missing.status == .notFound && String(buffer: missing.body) == "404 page not found")
            let noLatest = try await client.execute(uri: "/api/v1/message/latest", method: .get)
            #expect(noLatest.status == .notFound)
            let chaos = try await client.execute(uri: "/api/v1/chaos", method: .get)
            #expect(chaos.status == .badRequest && String(buffer: chaos.body) == "Chaos is not enabled")
            let message = try await fixture.deliver("Keep")
            let release = try await client.execute(
                uri: "/api/v1/message/\(message.id)/release", method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"To":["x@example.com"]}"#))
            #expect(release.status == .badRequest && String(buffer: release.body) == "Relay is not enabled")
            let wrongMethod = try await client.execute(uri: "/api/v1/messages", method: .post)
            #expect(wrongMethod.status == .methodNotAllowed)
        }
    }

    /// Every state-changing compatibility route is behind the browser guard: another site's page can
    /// neither change the mailbox nor open the event socket.
    @Test(arguments: [("Origin", "http://evil.example"), ("Sec-Fetch-Site", "cross-site")])
    func otherSitesCannotChangeTheMailbox(name: String, value: String) async throws {
        try await Self.withMailpit { fixture, client in
            let message = try await fixture.deliver("Keep")
            let foreign: HTTPFields = [
                try #require(HTTPField.Name(name)): value, .contentType: "application/json",
            ]
            let requests: [(String, HTTPRequest.Method, String)] = [
                ("/api/v1/messages", .delete, ""), ("/api/v1/messages", .put, #"{"Read":true}"#),
                ("/api/v1/search?query=Keep", .delete, ""),
                ("/api/v1/tags", .put, #"{"IDs":["\#(message.id)"],"Tags":["x"]}"#),
                ("/api/v1/tags/x", .delete, ""),
                (
                    "/api/v1/send", .post,
                    #"{"From":{"Email":"a@example.com"},"To":[{"Email":"b@example.com"}],"Subject":"s"}"#
                ),
            ]
            for (path, method, body) in requests {
                let response = try await client.execute(
                    uri: path, method: method, headers: foreign, body: ByteBuffer(string: body))
                #expect(response.status == .forbidden, "\(method) \(path)")
            }
            let socket = try await client.execute(
                uri: "/api/events", method: .get,
                headers: [try #require(HTTPField.Name(name)): value, .upgrade: "websocket", .connection: "Upgrade"])
            #expect(socket.status == .forbidden)
            let summary = try #require(try await fixture.store.summary(id: message.id))
            #expect(!summary.isRead && summary.tags.isEmpty)
            #expect(try await fixture.store.inboxes().map(\.total).reduce(0, +) == 1)
        }
    }

    @Test func mailHogPagesAreCappedAndUnknownIDsAreNull() async throws {
        try await Self.withMailHog { fixture, client in
            for number in 0..<3 { try await fixture.deliver("M\(number)") }
            let page = try await client.execute(uri: "/api/v2/messages?start=1&limit=1", method: .get)
            #expect(page.status == .ok && page.headers[.contentType] == "text/json")
            let object = try Self.object(page)
            #expect(object["total"] as? Int == 3 && object["count"] as? Int == 1 && object["start"] as? Int == 1)
            let item = try #require((object["items"] as? [[String: Any]])?.first)
            #expect(((item["Content"] as? [String: Any])?["Headers"] as? [String: [String]])?["Subject"] == ["M1"])
            #expect(MailHogAPI<TestContext>.startAndLimit(Request.test("/api/v2/messages?limit=100000")).limit == 250)
            let unknown = try await client.execute(uri: "/api/v1/messages/nope", method: .get)
            #expect(unknown.status == .ok && String(buffer: unknown.body) == "null")
            let deleted = try await client.execute(uri: "/api/v1/messages", method: .delete)
            #expect(deleted.status == .ok && deleted.body.readableBytes == 0)
            #expect(try await fixture.store.inboxes().map(\.total).reduce(0, +) == 0)
            let foreign = try await client.execute(
                uri: "/api/v1/messages", method: .delete, headers: [.origin: "http://evil.example"])
            #expect(foreign.status == .forbidden)
        }
    }
}

extension Request {
    /// A bare GET of `uri`, for the pure helpers that read a request.
    static func test(_ uri: String) -> Request {
        Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: uri),
            body: RequestBody(buffer: ByteBuffer()))
    }
}
