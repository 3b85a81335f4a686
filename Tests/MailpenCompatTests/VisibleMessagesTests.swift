import Foundation
import MailpenStore
import Testing

@testable import MailpenCompat

@Suite("Visible messages")
struct VisibleMessagesTests {
    @Test func everyInboxIsOneMailboxNewestFirst() async throws {
        try await withCompatStore { fixture in
            for (index, inbox) in ["shop", "blog", "shop", "default", "blog"].enumerated() {
                try await fixture.deliver("m\(index)", inbox: inbox)
            }
            let all = VisibleMessages(store: fixture.store, access: .everyInbox)
            let page = try await all.page(.all, start: 1, limit: 3)
            #expect(page.total == 5 && page.unread == 5)
            #expect(page.messages.map(\.subject) == ["m3", "m2", "m1"])
            #expect(try await all.page(.all, start: 4, limit: 50).messages.map(\.subject) == ["m0"])
            #expect(try await all.page(.all, start: 9, limit: 50).messages.isEmpty)
            #expect(try await all.latest(.all)?.subject == "m4")
            let totals = try await all.totals()
            #expect(totals.total == 5 && totals.unread == 5)
            await #expect(throws: VisibleMessages.Failure.windowTooDeep(VisibleMessages.maximumMergedWindow)) {
                _ = try await all.page(.all, start: 9_999, limit: 2)
            }
        }
    }

    @Test func anInboxCredentialSeesItsInboxAlone() async throws {
        try await withCompatStore { fixture in
            let shopMail = try await fixture.deliver("shop mail", inbox: "shop")
            let blogMail = try await fixture.deliver("blog mail", inbox: "blog")
            let blog = VisibleMessages(store: fixture.store, access: .inbox("BLOG"))
            #expect(try await blog.page(.all, start: 0, limit: 50).messages.map(\.id) == [blogMail.id])
            #expect(try await blog.summary(id: shopMail.id) == nil)
            #expect(try await blog.message(id: shopMail.id) == nil)
            try await blog.update(ids: [shopMail.id, blogMail.id], isRead: true, tags: ["seen"])
            #expect(try await fixture.store.summary(id: shopMail.id)?.isRead == false)
            #expect(try await fixture.store.summary(id: blogMail.id)?.tags == ["seen"])
            #expect(try await blog.tagCounts() == ["seen": 1])
            try await blog.delete(ids: [shopMail.id])
            #expect(try await fixture.store.summary(id: shopMail.id) != nil)
            #expect(try await blog.delete(.all) == 1)
            #expect(try await fixture.store.summary(id: shopMail.id) != nil)
            #expect(
                try await VisibleMessages(store: fixture.store, access: .inbox("nobody")).page(.all, start: 0, limit: 5)
                    .total == 0)
        }
    }

    @Test func tagCountsFoldCaseAcrossInboxes() async throws {
        try await withCompatStore { fixture in
            let one = try await fixture.deliver("one", inbox: "shop")
            let two = try await fixture.deliver("two", inbox: "blog")
            _ = try await fixture.store.update(id: one.id, isRead: nil, tags: ["Paid", "urgent"])
            _ = try await fixture.store.update(id: two.id, isRead: nil, tags: ["paid"])
            #expect(try await fixture.store.tagCounts(inInbox: "shop") == ["Paid": 1, "urgent": 1])
            let counts = try await VisibleMessages(store: fixture.store, access: .everyInbox).tagCounts()
            #expect(counts.count == 2 && counts["urgent"] == 1 && (counts["Paid"] ?? counts["paid"]) == 2)
        }
    }
}
