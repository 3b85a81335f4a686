import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import MailpenHTTP
@testable import MailpenStore

@Suite("Inbox routes")
struct InboxRouteTests {
    @Test func listCreateGetPatchDelete() async throws {
        try await withAPI { _, client in
            let list = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            #expect(list.status == .ok)
            let inboxes = try #require(try list.json["inboxes"] as? [[String: Any]])
            #expect(inboxes.map { $0["name"] as? String } == ["default"])
            let smtp = inboxes.first?["smtp"] as? [String: Any]
            #expect(smtp?["port"] as? Int == 2525)
            #expect(smtp?["username"] as? String == "default")
            #expect(smtp?["startTLS"] as? Bool == true)

            let created = try await client.execute(
                uri: "/api/v1/inboxes", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"name":"shop","password":"pw","maxMessages":10,"routes":["*@shop.test"]}"#))
            #expect(created.status == .created)
            #expect(try created.json["name"] as? String == "shop")
            #expect(try created.json["maxMessages"] as? Int == 10)
            #expect(try created.json["routes"] as? [String] == ["*@shop.test"])
            #expect(try (created.json["smtp"] as? [String: Any])?["password"] as? String == "pw")
            #expect(try (created.json["createdAt"] as? String)?.hasSuffix("Z") == true)

            let fetched = try await client.execute(uri: "/api/v1/inboxes/SHOP", method: .get)
            #expect(fetched.status == .ok)
            #expect(try fetched.json["name"] as? String == "shop")

            let patched = try await client.execute(
                uri: "/api/v1/inboxes/shop", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"maxMessages":null,"maxAgeSeconds":60}"#))
            #expect(patched.status == .ok)
            #expect(try patched.json["maxMessages"] is NSNull)
            #expect(try patched.json["maxAgeSeconds"] as? Int == 60)

            let deleted = try await client.execute(uri: "/api/v1/inboxes/shop", method: .delete)
            #expect(deleted.status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/inboxes/shop", method: .get).status == .notFound)
        }
    }

    static let badCreates: [(String, HTTPResponse.Status, String)] = [
        (#"{"name":"default"}"#, .conflict, "already exists"),
        (#"{"name":"has space"}"#, .badRequest, "not a valid inbox name"),
        (#"{"name":""}"#, .badRequest, "not a valid inbox name"),
        (#"{}"#, .badRequest, "name"),
        (#"{"name":"x","maxMessages":-1}"#, .badRequest, "maxMessages"),
        (#"{"name":"x","maxAgeSeconds":0}"#, .badRequest, "maxAgeSeconds"),
        (#"{"name":"x","routes":["has space"]}"#, .badRequest, "route"),
        (#"{"name":"x","colour":"red"}"#, .badRequest, "unknown field 'colour'"),
        (#"not json"#, .badRequest, "invalid JSON"),
        (#"{"name":5}"#, .badRequest, "invalid JSON"),
        // Whole numbers only: Foundation's decoder alone would take these as 100 and 1000.
        (#"{"name":"x","maxMessages":100.0}"#, .badRequest, "whole numbers"),
        (#"{"name":"x","maxAgeSeconds":1e3}"#, .badRequest, "whole numbers"),
        // The stores end text at a NUL: these would be kept as an empty password, or "abc".
        (#"{"name":"x","password":"\u0000secretsecret"}"#, .badRequest, "control characters"),
        (#"{"name":"x","password":"abc\u0000def"}"#, .badRequest, "control characters"),
        // Past the 1 MB a JSON body may have (a 500 once).
        (
            #"{"name":""# + String(repeating: "x", count: 1_100_000) + #""}"#, .contentTooLarge,
            "larger than the maximum"
        ),
    ]

    @Test("bad inbox creations get a 4xx with a reason", arguments: badCreates)
    func badCreate(body: String, status: HTTPResponse.Status, reason: String) async throws {
        try await withAPI { _, client in
            let response = try await client.execute(
                uri: "/api/v1/inboxes", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: body))
            #expect(response.status == status)
            #expect(try response.errorMessage.contains(reason), "\(response.text)")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func defaultInboxCannotBeDeleted() async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes/default", method: .delete)
            #expect(response.status == .conflict)
            #expect(try response.errorMessage == "the default inbox cannot be deleted")
        }
    }

    @Test func unknownInboxIs404Everywhere() async throws {
        try await withAPI { _, client in
            for (uri, method) in [
                ("/api/v1/inboxes/ghost", HTTPRequest.Method.get), ("/api/v1/inboxes/ghost", .delete),
                ("/api/v1/inboxes/ghost/messages", .get), ("/api/v1/inboxes/ghost/messages", .delete),
            ] {
                let response = try await client.execute(uri: uri, method: method)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(try response.errorMessage == "inbox 'ghost' does not exist")
            }
            let patch = try await client.execute(
                uri: "/api/v1/inboxes/ghost", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: "{}"))
            #expect(patch.status == .notFound)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func waitOnAnInboxThatDoesNotExistYetIsWokenByTheMailThatCreatesIt() async throws {
        try await withAPI { fixture, client in
            let timedOut = try await client.execute(uri: "/api/v1/inboxes/ghost/wait?timeout=0", method: .get)
            #expect(timedOut.status == .requestTimeout)
            let invalid = try await client.execute(uri: "/api/v1/inboxes/has%20space/wait?timeout=0", method: .get)
            #expect(invalid.status == .badRequest)
            let baseline = await fixture.store.changes.subscriberCount
            async let waited = client.execute(
                uri: "/api/v1/inboxes/fresh/wait?q=subject%3Ahello&timeout=10", method: .get)
            await fixture.store.changes.subscriberCount(where: { $0 > baseline })  // the wait is pending
            let posted = try await client.execute(
                uri: "/api/v1/inboxes/fresh/messages?to=bob%40example.com", method: .post,
                headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: "Subject: hello\r\n\r\nfirst mail of a new inbox\r\n"))
            #expect(posted.status == .created)
            let response = try await waited
            #expect(response.status == .ok)
            #expect(
                try (response.json["messages"] as? [[String: Any]])?.first?["id"] as? String == posted.json["id"]
                    as? String)
        }
    }

    @Test func strictModeIngestNeedsAnExistingInbox() async throws {
        try await withAPI(createsInboxesOnFirstUse: false) { _, client in
            let refused = try await client.execute(
                uri: "/api/v1/inboxes/ghost/messages?to=bob%40example.com", method: .post,
                headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: "Subject: x\r\n\r\nbody\r\n"))
            #expect(refused.status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/inboxes/ghost", method: .get).status == .notFound)
        }
    }

    @Test func unknownRouteIsJSON404() async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/nothing/here", method: .get)
            #expect(response.status == .notFound)
            #expect(try response.errorMessage.contains("/api/v1/nothing/here"))
        }
    }
}
