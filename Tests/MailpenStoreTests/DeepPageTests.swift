import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Lists: deep pages")
struct DeepPageTests {
    /// On SQLite, pages past `deepListOffset` come from the inbox's rows kept between requests, brought up to date
    /// by the rows added since, or read afresh after deletions: after each change they must equal the pages
    /// of the index (read near the top, in one page of everything), with another inbox's mail interleaved.
    @Test("pages deep into a plain list stay exact as mail comes and goes", arguments: StoreBackend.available)
    func deepPagesStayExact(backend: StoreBackend) async throws {
        try await withStore(on: backend, sqlite: { $0.deepListOffset = 5 }) { store in
            _ = try await store.createInbox(named: "other")
            var ids: [String] = []
            func send(_ count: Int) async throws {
                for number in 0..<count {
                    ids.append(try await store.store(incoming("Subject: note \(number)\r\n\r\nx\r\n")).id)
                    _ = try await store.store(incoming("Subject: elsewhere\r\n\r\nx\r\n", inbox: "other"))
                }
            }
            func expectDeepPages(_ comment: Comment) async throws {
                let everything = try await store.messages(MessageQuery(inbox: "default"), limit: 1000, offset: 0)
                #expect(everything.messages.map(\.id) == ids.reversed(), comment)
                for (offset, limit) in [(5, 7), (6, 50), (17, 3), (ids.count - 2, 10), (ids.count + 3, 10)] {
                    let page = try await store.messages(MessageQuery(inbox: "default"), limit: limit, offset: offset)
                    let expected = Array(everything.messages.dropFirst(offset).prefix(limit)).map(\.id)
                    #expect(page.messages.map(\.id) == expected, "\(comment), offset \(offset)")
                    #expect(page.total == ids.count, comment)
                    #expect(page.unread == everything.unread, comment)
                }
            }
            try await send(30)
            try await expectDeepPages("first pages")
            try await expectDeepPages("again, unchanged")
            try await send(4)
            try await expectDeepPages("after four new messages")
            try await store.deleteMessage(id: ids.remove(at: 10))
            try await expectDeepPages("after deleting one in the middle")
            _ = try await store.setRead(id: ids[3], true)
            try await expectDeepPages("after marking one read")
            try await store.deleteMessage(id: ids.removeLast())
            try await send(1)
            try await expectDeepPages("after deleting the newest and adding one")
            _ = try await store.clearInbox(named: "default")
            ids = []
            try await send(12)
            try await expectDeepPages("after clearing and refilling")
            // An inbox deleted and created again under its name starts with none of its old rows.
            let other = MessageQuery(inbox: "other")
            #expect(try await store.messages(other, limit: 3, offset: 40).messages.count == 3)
            try await store.deleteInbox(named: "other")
            _ = try await store.createInbox(named: "other")
            var again: [String] = []
            for number in 0..<9 {
                again.append(
                    try await store.store(incoming("Subject: again \(number)\r\n\r\nx\r\n", inbox: "other")).id)
            }
            let page = try await store.messages(other, limit: 3, offset: 5)
            #expect(page.messages.map(\.id) == Array(again.reversed().dropFirst(5).prefix(3)))
        }
    }
}
