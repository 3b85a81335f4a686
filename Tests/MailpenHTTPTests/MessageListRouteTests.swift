import Foundation
import HTTPTypes
import HummingbirdTesting
import MailpenSMTPCore
import MailpenStore
import MailpenTesting
import NIOCore
import Testing

@testable import MailpenHTTP

@Suite("Message list, search and deletion routes")
struct MessageListRouteTests {
    @Test func listPagesNewestFirstWithTotals() async throws {
        try await withAPI { fixture, client in
            for index in 0..<5 { try await fixture.deliver(TestMessage(subject: "number \(index)")) }
            let page = try await client.execute(uri: "/api/v1/inboxes/default/messages?limit=2&offset=1", method: .get)
            #expect(page.status == .ok)
            #expect(try page.json["total"] as? Int == 5)
            #expect(try page.json["unread"] as? Int == 5)
            #expect(try page.json["limit"] as? Int == 2)
            #expect(try page.json["offset"] as? Int == 1)
            let messages = try #require(try page.json["messages"] as? [[String: Any]])
            #expect(messages.map { $0["subject"] as? String } == ["number 3", "number 2"])
            let first = try #require(messages.first)
            #expect(
                Set(first.keys) == [
                    "id", "inbox", "receivedAt", "from", "to", "cc", "subject", "snippet", "size", "attachmentCount",
                    "read", "tags",
                ])
            #expect((first["from"] as? [String: Any])?["address"] as? String == "alice@example.com")
        }
    }

    @Test func searchAndSince() async throws {
        try await withAPI { fixture, client in
            let older = try await fixture.deliver(TestMessage(subject: "Password reset", text: "Click to reset"))
            try await fixture.deliver(TestMessage(to: ["carol@example.com"], subject: "Invoice"))
            let newer = try await fixture.deliver(TestMessage(subject: "Password reset again"))
            func subjects(_ query: String) async throws -> [String] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages?\(encoded.isEmpty ? "" : "q=" + encoded)", method: .get)
                #expect(response.status == .ok, "\(query): \(response.text)")
                return try #require(try response.json["messages"] as? [[String: Any]]).compactMap {
                    $0["subject"] as? String
                }
            }
            #expect(try await subjects("reset") == ["Password reset again", "Password reset"])
            #expect(try await subjects("to:carol") == ["Invoice"])
            #expect(try await subjects("-reset") == ["Invoice"])
            // Spaces as `+` (HTML forms, URLSearchParams) and `%20` mean the same; `%2B` is a plus.
            for encoded in ["subject%3A%22password+reset+again%22", "subject%3A%22password%20reset%20again%22"] {
                let response = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages?q=\(encoded)", method: .get)
                #expect(try response.json["total"] as? Int == 1, "\(encoded)")
            }
            let since = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?since=\(older.id)", method: .get)
            #expect(
                try (since.json["messages"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.last != older.id)
            #expect(try since.json["total"] as? Int == 2)
            let sinceTime = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?since=\(RFC3339.string(from: newer.receivedAt))", method: .get)
            #expect(try sinceTime.json["total"] as? Int == 0)
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
            #expect(try response.errorMessage.contains(reason), "\(response.text)")
        }
    }

    @Test func deleteMatchingAndAll() async throws {
        try await withAPI { fixture, client in
            try await fixture.deliver(TestMessage(subject: "keep me"))
            try await fixture.deliver(TestMessage(subject: "drop me"))
            try await fixture.deliver(TestMessage(subject: "drop me too"))
            let matching = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?q=subject%3Adrop", method: .delete)
            #expect(matching.status == .ok)
            #expect(try matching.json["deleted"] as? Int == 2)
            let left = try await client.execute(uri: "/api/v1/inboxes/default/messages", method: .get)
            #expect(
                try (left.json["messages"] as? [[String: Any]])?.compactMap { $0["subject"] as? String } == ["keep me"])
            // A q of only separators has no terms: refused, not taken for "every message".
            for separators in ["%0A", "%00", "%20%09"] {
                let refused = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages?q=\(separators)", method: .delete)
                #expect(refused.status == .badRequest, "\(separators)")
            }
            let all = try await client.execute(uri: "/api/v1/inboxes/default/messages", method: .delete)
            #expect(try all.json["deleted"] as? Int == 1)
            #expect(try await client.execute(uri: "/api/v1/inboxes/default", method: .get).json["total"] as? Int == 0)
        }
    }

    @Test func ingestOverHTTP() async throws {
        try await withAPI { fixture, client in
            let raw =
                "From: App <app@example.com>\r\nTo: Bob <bob@example.com>\r\nCc: carol@example.com\r\nSubject: Posted\r\n\r\nbody\r\n"
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
                uri: "/api/v1/inboxes/default/messages", method: .post, headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: "Subject: x\r\n\r\nbody\r\n"))
            #expect(noRecipients.status == .badRequest)
            #expect(try noRecipients.errorMessage.contains("no recipients"))
            let tooBig = try await client.execute(
                uri: "/api/v1/inboxes/default/messages", method: .post,
                headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: "To: a@b.c\r\n\r\n" + String(repeating: "x", count: 70 * 1024)))
            #expect(tooBig.status == .contentTooLarge)
            #expect(try tooBig.errorMessage.contains("larger than the maximum"))
            // Like SMTP AUTH, ingest creates the inbox on first use.
            let fresh = try await client.execute(
                uri: "/api/v1/inboxes/fresh/messages", method: .post, headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: raw))
            #expect(fresh.status == .created)
            #expect(try await fixture.store.inbox(named: "fresh")?.total == 1)
            let invalidName = try await client.execute(
                uri: "/api/v1/inboxes/has%20space/messages", method: .post, headers: [.contentType: "message/rfc822"],
                body: ByteBuffer(string: raw))
            #expect(invalidName.status == .badRequest)
            let before = try await fixture.store.messages(MessageQuery(inbox: "default")).total
            for bad in [
                "to=not-an-address", "from=%3Cbad&to=x%40example.com", "to=a%40b.c&to=two%20words%40b.c", "to=%zz",
            ] {
                let refused = try await client.execute(
                    uri: "/api/v1/inboxes/default/messages?\(bad)", method: .post,
                    headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
                #expect(refused.status == .badRequest, "\(bad)")
            }
            #expect(try await fixture.store.messages(MessageQuery(inbox: "default")).total == before)
            let bounce = try await client.execute(
                uri: "/api/v1/inboxes/default/messages?from=&to=z%40example.com", method: .post,
                headers: [.contentType: "message/rfc822"], body: ByteBuffer(string: raw))
            #expect(bounce.status == .created)
        }
    }

    @Test func waitReturnsAlreadyStoredAndTimesOut() async throws {
        try await withAPI { fixture, client in
            try await fixture.deliver(TestMessage(subject: "Welcome aboard"))
            let found = try await client.execute(
                uri: "/api/v1/inboxes/default/wait?q=subject%3Awelcome&timeout=10", method: .get)
            #expect(found.status == .ok)
            #expect(try (found.json["messages"] as? [[String: Any]])?.count == 1)
            #expect(found.headers[.connection] == "close")
            let timedOut = try await client.execute(
                uri: "/api/v1/inboxes/default/wait?q=subject%3Anever&timeout=0.2", method: .get)
            #expect(timedOut.status == .requestTimeout)
            #expect(
                try timedOut.errorMessage
                    == "timed out after 0.2 s waiting for 1 message matching 'subject:never' in inbox 'default'; 0 matched"
            )
            let short = try await client.execute(
                uri: "/api/v1/inboxes/default/wait?q=welcome&count=2&timeout=0", method: .get)
            #expect(
                try short.errorMessage
                    == "timed out after 0 s waiting for 2 messages matching 'welcome' in inbox 'default'; 1 matched")
            #expect(timedOut.headers[.connection] == "close")
            for bad in ["count=0", "count=1001", "timeout=301", "timeout=-1", "q=%22"] {
                let response = try await client.execute(uri: "/api/v1/inboxes/default/wait?\(bad)", method: .get)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }
}
