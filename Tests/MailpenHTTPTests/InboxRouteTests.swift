import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenStore
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("Inbox routes")
struct InboxRouteTests {
    @Test func listCreateGetPatchDelete() async throws {
        try await withAPI { _, client in
            let list = try await client.execute(uri: "/api/v1/inboxes", method: .get)
            #expect(list.status == .ok)
            let inboxes = list.json["inboxes"] as? [[String: Any]] ?? []
            #expect(inboxes.map { $0["name"] as? String } == ["default"])
            let smtp = inboxes.first?["smtp"] as? [String: Any]
            #expect(smtp?["port"] as? Int == 2525)
            #expect(smtp?["username"] as? String == "default")
            #expect(smtp?["startTLS"] as? Bool == true)

            let created = try await client.execute(
                uri: "/api/v1/inboxes", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(json: #"{"name":"shop","password":"pw","maxMessages":10,"routes":["*@shop.test"]}"#))
            #expect(created.status == .created)
            #expect(created.json["name"] as? String == "shop")
            #expect(created.json["maxMessages"] as? Int == 10)
            #expect(created.json["routes"] as? [String] == ["*@shop.test"])
            #expect((created.json["smtp"] as? [String: Any])?["password"] as? String == "pw")
            #expect((created.json["createdAt"] as? String)?.hasSuffix("Z") == true)

            let fetched = try await client.execute(uri: "/api/v1/inboxes/SHOP", method: .get)
            #expect(fetched.status == .ok)
            #expect(fetched.json["name"] as? String == "shop")

            let patched = try await client.execute(
                uri: "/api/v1/inboxes/shop", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(json: #"{"maxMessages":null,"maxAgeSeconds":60}"#))
            #expect(patched.status == .ok)
            #expect(patched.json["maxMessages"] is NSNull)
            #expect(patched.json["maxAgeSeconds"] as? Int == 60)

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
    ]

    @Test("bad inbox creations get a 4xx with a reason", arguments: badCreates)
    func badCreate(body: String, status: HTTPResponse.Status, reason: String) async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(json: body))
            #expect(response.status == status)
            #expect(response.errorMessage?.contains(reason) == true, "\(response.errorMessage ?? "no error")")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    @Test func defaultInboxCannotBeDeleted() async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes/default", method: .delete)
            #expect(response.status == .conflict)
            #expect(response.errorMessage == "the default inbox cannot be deleted")
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
                #expect(response.errorMessage == "inbox 'ghost' does not exist")
            }
            let patch = try await client.execute(uri: "/api/v1/inboxes/ghost", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(json: "{}"))
            #expect(patch.status == .notFound)
        }
    }

    @Test func waitOnAnInboxThatDoesNotExistYetIsWokenByTheMailThatCreatesIt() async throws {
        try await withAPI { _, client in
            let timedOut = try await client.execute(uri: "/api/v1/inboxes/ghost/wait?timeout=0", method: .get)
            #expect(timedOut.status == .requestTimeout)
            let invalid = try await client.execute(uri: "/api/v1/inboxes/has%20space/wait?timeout=0", method: .get)
            #expect(invalid.status == .badRequest)
            async let waited = client.execute(uri: "/api/v1/inboxes/fresh/wait?q=subject%3Ahello&timeout=10", method: .get)
            try await Task.sleep(for: .milliseconds(200))
            let posted = try await client.execute(
                uri: "/api/v1/inboxes/fresh/messages?to=bob%40example.com", method: .post,
                headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: "Subject: hello\r\n\r\nfirst mail of a new inbox\r\n"))
            #expect(posted.status == .created)
            let response = try await waited
            #expect(response.status == .ok)
            #expect((response.json["messages"] as? [[String: Any]])?.first?["id"] as? String == posted.json["id"] as? String)
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
            #expect(response.errorMessage?.contains("/api/v1/nothing/here") == true)
        }
    }
}

@Suite("Message list, search and deletion routes")
struct MessageListRouteTests {
    @Test func listPagesNewestFirstWithTotals() async throws {
        try await withAPI { fixture, client in
            for index in 0..<5 { try await fixture.deliver(Mail.simple(subject: "number \(index)")) }
            let page = try await client.execute(uri: "/api/v1/inboxes/default/messages?limit=2&offset=1", method: .get)
            #expect(page.status == .ok)
            #expect(page.json["total"] as? Int == 5)
            #expect(page.json["unread"] as? Int == 5)
            #expect(page.json["limit"] as? Int == 2)
            #expect(page.json["offset"] as? Int == 1)
            let messages = page.json["messages"] as? [[String: Any]] ?? []
            #expect(messages.map { $0["subject"] as? String } == ["number 3", "number 2"])
            let first = try #require(messages.first)
            #expect(Set(first.keys) == ["id", "inbox", "receivedAt", "from", "to", "cc", "subject", "snippet", "size", "attachmentCount", "read", "tags"])
            #expect((first["from"] as? [String: Any])?["address"] as? String == "alice@example.com")
        }
    }

    @Test func searchAndSince() async throws {
        try await withAPI { fixture, client in
            let older = try await fixture.deliver(Mail.simple(subject: "Password reset", body: "Click to reset"))
            try await fixture.deliver(Mail.simple(subject: "Invoice", to: "carol@example.com"))
            let newer = try await fixture.deliver(Mail.simple(subject: "Password reset again"))
            func subjects(_ query: String) async throws -> [String] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await client.execute(uri: "/api/v1/inboxes/default/messages?\(encoded.isEmpty ? "" : "q=" + encoded)", method: .get)
                #expect(response.status == .ok, "\(query): \(response.errorMessage ?? "")")
                return (response.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String }
            }
            #expect(try await subjects("reset") == ["Password reset again", "Password reset"])
            #expect(try await subjects("to:carol") == ["Invoice"])
            #expect(try await subjects("-reset") == ["Invoice"])
            // Spaces as `+` (HTML forms, URLSearchParams) and `%20` mean the same; `%2B` is a plus.
            for encoded in ["subject%3A%22password+reset+again%22", "subject%3A%22password%20reset%20again%22"] {
                let response = try await client.execute(uri: "/api/v1/inboxes/default/messages?q=\(encoded)", method: .get)
                #expect(response.json["total"] as? Int == 1, "\(encoded)")
            }
            let since = try await client.execute(uri: "/api/v1/inboxes/default/messages?since=\(older.id)", method: .get)
            #expect((since.json["messages"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.last != older.id)
            #expect(since.json["total"] as? Int == 2)
            let sinceTime = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?since=\(RFC3339.string(from: newer.receivedAt))", method: .get)
            #expect(sinceTime.json["total"] as? Int == 0)
        }
    }

    static let badLists: [(String, String)] = [
        ("q=subject%3A%22open", "character 9: unterminated quote"),
        ("q=is%3Amaybe", "is: takes 'read' or 'unread'"),
        ("q=before%3A2026-13-01", "dates are written YYYY-MM-DD"),
        ("q=larger%3Alots", "sizes are written like"),
        ("limit=0", "limit must be between 1 and 1000"),
        ("limit=1001", "limit must be between 1 and 1000"),
        ("limit=abc", "query parameter 'limit'"),
        ("offset=-1", "offset must be between 0 and 1000000000"),
        ("since=yesterday", "since must be an RFC 3339 time or a message id"),
        ("q=%zz", "query parameter 'q' is not valid percent-encoded UTF-8"),
        ("q=%C3%28", "query parameter 'q' is not valid percent-encoded UTF-8"),
    ]

    @Test("bad list parameters get a 400 saying what and where", arguments: badLists)
    func badList(query: String, reason: String) async throws {
        try await withAPI { _, client in
            let response = try await client.execute(uri: "/api/v1/inboxes/default/messages?\(query)", method: .get)
            #expect(response.status == .badRequest)
            #expect(response.errorMessage?.contains(reason) == true, "\(response.errorMessage ?? "")")
        }
    }

    @Test func deleteMatchingAndAll() async throws {
        try await withAPI { fixture, client in
            try await fixture.deliver(Mail.simple(subject: "keep me"))
            try await fixture.deliver(Mail.simple(subject: "drop me"))
            try await fixture.deliver(Mail.simple(subject: "drop me too"))
            let matching = try await client.execute(uri: "/api/v1/inboxes/default/messages?q=subject%3Adrop", method: .delete)
            #expect(matching.status == .ok)
            #expect(matching.json["deleted"] as? Int == 2)
            let left = try await client.execute(uri: "/api/v1/inboxes/default/messages", method: .get)
            #expect((left.json["messages"] as? [[String: Any]])?.compactMap { $0["subject"] as? String } == ["keep me"])
            let all = try await client.execute(uri: "/api/v1/inboxes/default/messages", method: .delete)
            #expect(all.json["deleted"] as? Int == 1)
            #expect(try await client.execute(uri: "/api/v1/inboxes/default", method: .get).json["total"] as? Int == 0)
        }
    }

    @Test func ingestOverHTTP() async throws {
        try await withAPI { fixture, client in
            let raw = "From: App <app@example.com>\r\nTo: Bob <bob@example.com>\r\nCc: carol@example.com\r\nSubject: Posted\r\n\r\nbody\r\n"
            let posted = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post, headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: raw))
            #expect(posted.status == .created)
            let id = try #require(posted.json["id"] as? String)
            let stored = try #require(try await fixture.store.message(id: id))
            #expect(stored.raw == Array(raw.utf8))
            #expect(stored.envelope.source == .http)
            #expect(stored.envelope.mailFrom == "app@example.com")
            #expect(stored.envelope.recipients.map(\.address) == ["bob@example.com", "carol@example.com"])

            let explicit = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?from=bounce%40example.com&to=x%40example.com&to=y%40example.com",
                method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
            let explicitID = try #require(explicit.json["id"] as? String)
            let envelope = try #require(try await fixture.store.envelope(id: explicitID))
            #expect(envelope.mailFrom == "bounce@example.com")
            #expect(envelope.recipients.map(\.address) == ["x@example.com", "y@example.com"])

            let empty = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post, headers: [.contentType: "message/rfc822"])
            #expect(empty.status == .badRequest)
            let untyped = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post, body: ByteBuffer(string: raw))
            #expect(untyped.status == .unsupportedMediaType)
            let noRecipients = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: "Subject: x\r\n\r\nbody\r\n"))
            #expect(noRecipients.status == .badRequest)
            #expect(noRecipients.errorMessage?.contains("no recipients") == true)
            let tooBig = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post,
                headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: "To: a@b.c\r\n\r\n" + String(repeating: "x", count: 70 * 1024)))
            #expect(tooBig.status == .contentTooLarge)
            #expect(tooBig.errorMessage?.contains("larger than the maximum") == true)
            // Like SMTP AUTH, ingest creates the inbox on first use.
            let fresh = try await client.execute(uri: "/api/v1/inboxes/fresh/messages", method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
            #expect(fresh.status == .created)
            #expect(try await fixture.store.inbox(named: "fresh")?.total == 1)
            let invalidName = try await client.execute(uri: "/api/v1/inboxes/has%20space/messages", method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
            #expect(invalidName.status == .badRequest)
            let before = try await fixture.store.messages(MessageQuery(inbox: "default")).total
            for bad in ["to=not-an-address", "from=%3Cbad&to=x%40example.com", "to=a%40b.c&to=two%20words%40b.c", "to=%zz"] {
                let refused = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages?\(bad)", method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
                #expect(refused.status == .badRequest, "\(bad)")
            }
            #expect(try await fixture.store.messages(MessageQuery(inbox: "default")).total == before)
            let bounce = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?from=&to=z%40example.com", method: .post, headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
            #expect(bounce.status == .created)
        }
    }

    @Test func waitReturnsAlreadyStoredAndTimesOut() async throws {
        try await withAPI { fixture, client in
            try await fixture.deliver(Mail.simple(subject: "Welcome aboard"))
            let found = try await client.execute(uri: "/api/v1/inboxes/default/wait?q=subject%3Awelcome&timeout=2", method: .get)
            #expect(found.status == .ok)
            #expect((found.json["messages"] as? [[String: Any]])?.count == 1)
            #expect(found.headers[.connection] == "close")
            let timedOut = try await client.execute(uri: "/api/v1/inboxes/default/wait?q=subject%3Anever&timeout=0.2", method: .get)
            #expect(timedOut.status == .requestTimeout)
            #expect(timedOut.errorMessage == "timed out after 0.2 s waiting for 1 message matching 'subject:never' in inbox 'default'; 0 matched")
            let short = try await client.execute(uri: "/api/v1/inboxes/default/wait?q=welcome&count=2&timeout=0", method: .get)
            #expect(short.errorMessage == "timed out after 0 s waiting for 2 messages matching 'welcome' in inbox 'default'; 1 matched")
            #expect(timedOut.headers[.connection] == "close")
            for bad in ["count=0", "count=1001", "timeout=301", "timeout=-1", "q=%22"] {
                let response = try await client.execute(uri: "/api/v1/inboxes/default/wait?\(bad)", method: .get)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }
}
