import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Mailbox listing for mail clients")
struct MailboxListingTests {
    private func message(_ subject: String) -> String {
        "From: a@example.com\r\nTo: b@example.com\r\nSubject: \(subject)\r\n\r\nBody of \(subject).\r\n"
    }

    @Test(arguments: StoreBackend.available)
    func listsOldestFirstWithGrowingUIDsAndFiltersByUID(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            var stored: [MessageSummary] = []
            for subject in ["one", "two", "three"] {
                stored.append(try await store.store(incoming(message(subject), inbox: "shop", create: true)))
            }
            _ = try await store.store(incoming(message("elsewhere"), inbox: "other", create: true))
            let mailbox = try #require(try await store.mailbox(named: "SHOP", afterUID: 0))
            #expect(mailbox.inbox == "shop")
            #expect(mailbox.messages.map(\.id) == stored.map(\.id))
            #expect(mailbox.messages.map(\.uid) == mailbox.messages.map(\.uid).sorted())
            #expect(Set(mailbox.messages.map(\.uid)).count == 3)
            #expect(mailbox.messages.map(\.size) == stored.map(\.size))
            #expect(mailbox.messages.allSatisfy { !$0.isRead })
            #expect(mailbox.uidValidity > 0)

            let later = try #require(try await store.mailbox(named: "shop", afterUID: mailbox.messages[0].uid))
            #expect(later.messages.map(\.id) == Array(stored.map(\.id).dropFirst()))
            #expect(later.uidValidity == mailbox.uidValidity)
            #expect(try await store.mailbox(named: "nosuchinbox", afterUID: 0) == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func uidsAreNeverReusedAndFlagsShow(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let first = try await store.store(incoming(message("one"), inbox: "shop", create: true))
            let second = try await store.store(incoming(message("two"), inbox: "shop", create: true))
            let before = try #require(try await store.mailbox(named: "shop", afterUID: 0))
            try await store.deleteMessage(id: second.id)
            let third = try await store.store(incoming(message("three"), inbox: "shop", create: true))
            try await store.setRead(id: first.id, true)
            _ = try await store.update(id: third.id, isRead: nil, tags: ["Urgent"])
            let after = try #require(try await store.mailbox(named: "shop", afterUID: 0))
            #expect(after.messages.map(\.id) == [first.id, third.id])
            #expect(after.messages[1].uid > before.messages[1].uid)
            #expect(after.messages[0].isRead && !after.messages[1].isRead)
            #expect(after.messages[1].tags == ["Urgent"])
            #expect(after.uidValidity == before.uidValidity)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRecreatedInboxKeepsUIDsAboveTheOldOnes(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let old = try await store.store(incoming(message("old"), inbox: "shop", create: true))
            let oldUID = try #require(try await store.mailbox(named: "shop", afterUID: 0)?.messages.first?.uid)
            try await store.deleteInbox(named: "shop")
            #expect(try await store.mailbox(named: "shop", afterUID: 0) == nil)
            let new = try await store.store(incoming(message("new"), inbox: "shop", create: true))
            let mailbox = try #require(try await store.mailbox(named: "shop", afterUID: 0))
            #expect(mailbox.messages.map(\.id) == [new.id])
            #expect(mailbox.messages[0].uid > oldUID)
            #expect(old.id != new.id)
        }
    }
}
