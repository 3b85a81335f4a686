import Foundation
import MailpenSMTPCore
import MailpenTestSupport
import Testing

@testable import MailpenStore

/// Bounds on what one call may make the store keep or hold: tags, routes, and what a wait returns when mail
/// it counted is deleted; on SQLite and on PostgreSQL.
@Suite("Store: limits")
struct StoreLimitTests {
    @Test(arguments: StoreBackend.available)
    func tagsAreLimitedInNumberAndLength(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let summary = try await store.store(incoming("Subject: tagged\r\n\r\nbody\r\n"))
            let longest = String(repeating: "t", count: StoreLimits.maximumTagLength)
            let most = (1..<StoreLimits.maximumTagsPerMessage).map { "tag\($0)" } + [longest]
            let updated = try await store.update(id: summary.id, isRead: nil, tags: most)
            #expect(updated.tags.count == 64)
            await #expect(throws: StoreError.tooManyTags(65)) {
                try await store.update(id: summary.id, isRead: nil, tags: most + ["one more"])
            }
            await #expect(throws: StoreError.invalidTag(longest + "t")) {
                try await store.update(id: summary.id, isRead: nil, tags: [longest + "t"])
            }
            #expect(try await store.summary(id: summary.id)?.tags.count == 64)
        }
    }

    @Test(arguments: StoreBackend.available)
    func routesAreLimitedPerInbox(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let most = (0..<StoreLimits.maximumRoutesPerInbox).map { "r\($0)@shop.example" }
            _ = try await store.createInbox(named: "shop", routes: most)
            await #expect(throws: StoreError.tooManyRoutes(257)) {
                try await store.updateInbox(named: "shop", .init(routes: most + ["x@shop.example"]))
            }
            await #expect(throws: StoreError.tooManyRoutes(257)) {
                try await store.createInbox(named: "blog", routes: most + ["x@blog.example"])
            }
            #expect(try await store.inbox(named: "shop")?.routes.count == 256)
            // The last of 256 routes still routes.
            let routed = try await store.store(
                IncomingMessage(
                    inbox: "default", raw: Array("Subject: routed\r\n\r\nbody\r\n".utf8),
                    envelope: MessageEnvelope(
                        source: .smtp, mailFrom: "a@x.example", recipients: [.init(address: "R255@Shop.Example")]),
                    inboxCreation: .never, routesByRecipient: true))
            #expect(routed.inbox == "shop")
        }
    }

    @Test(arguments: StoreBackend.available)
    func aWaitForSeveralDropsMessagesDeletedWhileItWaits(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:wanted"))
            let waiting = Task { try await store.waitForMessages(query, count: 2, timeout: .seconds(20)) }
            // The first match is deleted once the wait has had every chance to count it: once it is searchable.
            let first = try #require(
                try await storeSearchable([incoming("Subject: wanted one\r\n\r\nbody\r\n")], in: store).first)
            try await store.deleteMessage(id: first.id)
            let second = try await store.store(incoming("Subject: wanted two\r\n\r\nbody\r\n"))
            let third = try await store.store(incoming("Subject: wanted three\r\n\r\nbody\r\n"))
            let found = try await waiting.value
            #expect(found.map(\.id) == [third.id, second.id])
        }
    }
}
