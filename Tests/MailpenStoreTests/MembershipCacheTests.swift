import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search: inbox membership between commits")
struct MembershipCacheTests {
    /// A search reads the inbox's membership once and keeps it for the next searches (on SQLite); every
    /// commit must make the next search read it again: reads, deletions, new mail and clearing all show at once.
    @Test("a search after a commit sees the commit", arguments: StoreBackend.available)
    func searchesSeeEveryCommit(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            var ids: [String] = []
            /// Stores `count` messages and returns once every one is searchable.
            func send(_ count: Int) async throws {
                let messages = (0..<count).map { index in
                    incoming("From: alice@example.com\r\nSubject: Note \(ids.count + index)\r\n\r\nalpha \(index)\r\n")
                }
                ids += try await storeSearchable(messages, in: store).map(\.id)
            }
            let alpha = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "alpha"))
            func expectTotals(_ total: Int, unread: Int, newest: String?, _ comment: Comment) async throws {
                let page = try await store.messages(alpha, limit: 1)
                #expect(page.total == total, comment)
                #expect(page.unread == unread, comment)
                #expect(page.messages.first?.id == newest, comment)
            }

            try await send(40)
            try await expectTotals(40, unread: 40, newest: ids.last, "first search")
            try await expectTotals(40, unread: 40, newest: ids.last, "repeated search")

            for id in ids.prefix(3) { _ = try await store.setRead(id: id, true) }
            try await expectTotals(40, unread: 37, newest: ids.last, "after marking three read")

            try await store.deleteMessage(id: ids[0])  // read
            try await store.deleteMessage(id: ids[39])  // unread, the newest
            try await expectTotals(38, unread: 36, newest: ids[38], "after two deletions")

            _ = try await store.setRead(id: ids[1], false)
            try await expectTotals(38, unread: 37, newest: ids[38], "after marking one unread again")

            try await send(5)
            try await expectTotals(43, unread: 42, newest: ids.last, "after five new messages")

            _ = try await store.clearInbox(named: "default")
            try await expectTotals(0, unread: 0, newest: nil, "after clearing the inbox")
        }
    }
}
