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

/// Basic credentials on the router: the operator's pair opens every inbox, an inbox's name and SMTP
/// password open that inbox alone, on Mailpit's routes and Mailpen's own.
@Suite("Inbox credentials")
struct InboxCredentialTests {
    static func withRouter(
        operatorCredentials: String? = nil, strict: Bool = false,
        _ body: @Sendable (CompatStoreFixture, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withCompatStore { fixture in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            var dependencies = MailpenHTTP.Dependencies(
                store: fixture.store,
                smtp: SMTPAdvertisement(host: "127.0.0.1", port: 2525, startTLS: false, implicitTLSPort: nil),
                basicAuthentication: operatorCredentials, createsInboxesOnFirstUse: !strict, logger: logger)
            dependencies.mailpitAPI = fixture.dependencies
            let application = Application(router: MailpenHTTP.makeResponderBuilder(dependencies))
            try await application.test(.router) { client in try await body(fixture, client) }
        }
    }

    static func authorization(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
    }

    static func text(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    @Test func aBlogCredentialCannotReadShopsMessagesByID() async throws {
        try await Self.withRouter { fixture, client in
            let shop = try await fixture.deliver("Shop secret", inbox: "shop")
            let blog = try await fixture.deliver("Blog post", inbox: "blog")
            let asBlog = Self.authorization("blog", "pw-blog")
            for path in [
                "/api/v1/message/\(shop.id)", "/api/v1/message/\(shop.id)/raw", "/api/v1/message/\(shop.id)/headers",
                "/api/v1/message/\(shop.id)/sa-check", "/view/\(shop.id).txt", "/api/v1/messages/\(shop.id)",
                "/api/v1/messages/\(shop.id)/raw", "/api/v1/messages/\(shop.id)/checks/spam",
            ] {
                let response = try await client.execute(uri: path, method: .get, headers: asBlog)
                #expect(response.status == .notFound, "\(path)")
                #expect(!Self.text(response).contains("Shop secret"), "\(path)")
            }
            let own = try await client.execute(uri: "/api/v1/message/\(blog.id)", method: .get, headers: asBlog)
            #expect(own.status == .ok && Self.text(own).contains("Blog post"))
            let list = try await client.execute(uri: "/api/v1/messages", method: .get, headers: asBlog)
            #expect(Self.text(list).contains("Blog post") && !Self.text(list).contains("Shop secret"))
            let inbox = try await client.execute(uri: "/api/v1/inboxes/shop/messages", method: .get, headers: asBlog)
            #expect(inbox.status == .forbidden)
            let delete = try await client.execute(uri: "/api/v1/messages/\(shop.id)", method: .delete, headers: asBlog)
            #expect(delete.status == .notFound)
            #expect(try await fixture.store.summary(id: shop.id) != nil)
        }
    }

    @Test func credentialsAreCheckedAndTheOperatorSeesEverything() async throws {
        try await Self.withRouter(operatorCredentials: "qa:secret") { fixture, client in
            try await fixture.deliver("Shop mail", inbox: "shop")
            try await fixture.deliver("Default mail")
            #expect(try await client.execute(uri: "/api/v1/messages", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/livez", method: .get).status == .ok)
            let wrong = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("shop", "nope"))
            #expect(wrong.status == .unauthorized)
            let all = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("qa", "secret"))
            #expect(Self.text(all).contains("\"total\":2"))
            let shop = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("SHOP", "pw-shop"))
            #expect(Self.text(shop).contains("\"total\":1") && Self.text(shop).contains("Shop mail"))
            let inboxes = try await client.execute(
                uri: "/api/v1/inboxes", method: .get, headers: Self.authorization("shop", "pw-shop"))
            #expect(
                Self.text(inboxes).contains("\"name\":\"shop\"") && !Self.text(inboxes).contains("\"name\":\"default\"")
            )
            let create = try await client.execute(
                uri: "/api/v1/inboxes", method: .post,
                headers: Self.authorization("shop", "pw-shop").merging([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"name":"mine"}"#))
            #expect(create.status == .forbidden)
        }
    }

    /// On an open server (no `--ui-auth`, `--smtp-auth any`) the name narrows the view, whatever the password,
    /// as SMTP takes any password there; it reveals nothing that no credentials would not.
    @Test func withoutCredentialsEveryInboxIsVisibleWhenNoneAreRequired() async throws {
        try await Self.withRouter { fixture, client in
            try await fixture.deliver("Shop mail", inbox: "shop")
            try await fixture.deliver("Default mail")
            let all = try await client.execute(uri: "/api/v1/messages", method: .get)
            #expect(Self.text(all).contains("\"total\":2"))
            let named = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("shop", "x"))
            #expect(
                named.status == .ok && Self.text(named).contains("\"total\":1")
                    && Self.text(named).contains("Shop mail"))
            let unknown = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("blog", "x"))
            #expect(unknown.status == .ok && Self.text(unknown).contains("\"total\":0"))
        }
    }

    @Test func strictSMTPAuthenticationChecksTheInboxPassword() async throws {
        try await Self.withRouter(strict: true) { fixture, client in
            try await fixture.deliver("Shop mail", inbox: "shop")
            try await fixture.deliver("Default mail")
            #expect(try await client.execute(uri: "/api/v1/messages", method: .get).status == .ok)
            let wrong = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("shop", "x"))
            #expect(wrong.status == .unauthorized)
            let unknown = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("blog", "x"))
            #expect(unknown.status == .unauthorized)
            let right = try await client.execute(
                uri: "/api/v1/messages", method: .get, headers: Self.authorization("shop", "pw-shop"))
            #expect(Self.text(right).contains("\"total\":1") && Self.text(right).contains("Shop mail"))
        }
    }
}

extension HTTPFields {
    fileprivate func merging(_ other: HTTPFields) -> HTTPFields {
        var fields = self
        for field in other { fields.append(field) }
        return fields
    }
}
