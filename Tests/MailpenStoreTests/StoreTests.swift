import Foundation
import MailpenTestSupport
import MailpenTesting
import NIOCore
import Testing

@testable import MailpenStore

/// What every store does, on SQLite and on PostgreSQL.
@Suite("Store")
struct StoreTests {
    /// A message with encoded words in its header, as mail from the world has.
    static let sampleMessage = TestMessage(
        from: "=?UTF-8?Q?Al=C3=AFce?= <alice@example.com>", to: ["Bob <bob@example.com>", "carol@example.com"],
        cc: ["dave@example.com"], subject: "=?UTF-8?B?SGVsbG8g8J+Riw==?=", text: "Hi Bob, this is the body.\n",
        date: Date(timeIntervalSince1970: 1_795_946_400), messageID: "<abc@example.com>"
    ).string

    @Test(arguments: StoreBackend.available)
    func summaryColumnsComeFromTheParsedMessage(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let summary = try await store.store(incoming(Self.sampleMessage))
            #expect(summary.subject == "Hello 👋")
            #expect(summary.from == MessageAddress(name: "Alïce", address: "alice@example.com"))
            #expect(summary.to.map(\.address) == ["bob@example.com", "carol@example.com"])
            #expect(summary.cc.map(\.address) == ["dave@example.com"])
            #expect(summary.snippet.hasPrefix("Hi Bob, this is the body."))
            #expect(summary.size == Self.sampleMessage.utf8.count)
            #expect(!summary.isRead)
            let listed = try await store.summaries(inInbox: "default")
            #expect(listed == [summary])
        }
    }

    @Test(arguments: StoreBackend.available)
    func changeFeedPublishesCommittedChanges(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let events = await store.subscribe()
            let stored = try await store.store(incoming(Self.sampleMessage))
            let read = try await store.setRead(id: stored.id, true)
            try await store.deleteMessage(id: stored.id)
            _ = try await store.createInbox(named: "shop")
            _ = try await store.clearInbox(named: "shop")
            var iterator = events.makeAsyncIterator()
            #expect(try await iterator.next() == .stored(stored))
            #expect(try await iterator.next() == .updated(read))
            #expect(try await iterator.next() == .deleted(inbox: "default", ids: [stored.id]))
            #expect(try await iterator.next() == .inbox(name: "shop", change: .created))
            #expect(try await iterator.next() == .cleared(inbox: "shop"))
        }
    }

    @Test(arguments: StoreBackend.available)
    func inboxLifecycle(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let shop = try await store.createInbox(named: "shop", password: "secret", maximumMessages: 10)
            #expect(shop.smtpUsername == "shop")
            #expect(shop.smtpPassword == "secret")
            #expect(shop.maximumMessages == 10)
            await #expect(throws: StoreError.inboxExists("SHOP")) { try await store.createInbox(named: "SHOP") }
            await #expect(throws: StoreError.invalidInboxName("no spaces")) {
                try await store.createInbox(named: "no spaces")
            }
            await #expect(throws: StoreError.invalidInboxName("")) { try await store.createInbox(named: "") }
            _ = try await store.store(incoming(Self.sampleMessage, inbox: "shop"))
            #expect(try await store.inbox(named: "Shop")?.total == 1)
            let updated = try await store.updateInbox(
                named: "shop", .init(maximumMessages: .some(nil), maximumAgeSeconds: 60))
            #expect(updated.maximumMessages == nil)
            #expect(updated.maximumAgeSeconds == 60)
            try await store.deleteInbox(named: "shop")
            #expect(try await store.inbox(named: "shop") == nil)
            await #expect(throws: StoreError.cannotDeleteDefaultInbox) { try await store.deleteInbox(named: "default") }
            await #expect(throws: StoreError.inboxNotFound("ghost")) { try await store.clearInbox(named: "ghost") }
        }
    }

    @Test(arguments: StoreBackend.available)
    func missingInboxIsCreatedOnlyWhenAsked(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            await #expect(throws: StoreError.inboxNotFound("team")) {
                try await store.store(incoming(Self.sampleMessage, inbox: "team"))
            }
            let stored = try await store.store(incoming(Self.sampleMessage, inbox: "team", create: true))
            #expect(stored.inbox == "team")
            #expect(try await store.inbox(named: "team")?.smtpPassword == "pw")
        }
    }

    @Test(arguments: StoreBackend.available)
    func readStateKeepsCountsRight(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let first = try await store.store(incoming(Self.sampleMessage))
            _ = try await store.store(incoming(Self.sampleMessage))
            #expect(try await store.inbox(named: "default")?.unread == 2)
            _ = try await store.setRead(id: first.id, true)
            _ = try await store.setRead(id: first.id, true)
            #expect(try await store.inbox(named: "default")?.unread == 1)
            _ = try await store.setRead(id: first.id, false)
            #expect(try await store.inbox(named: "default")?.unread == 2)
            try await store.deleteMessage(id: first.id)
            let inbox = try #require(try await store.inbox(named: "default"))
            #expect(inbox.total == 1 && inbox.unread == 1)
            await #expect(throws: StoreError.messageNotFound(first.id)) { try await store.deleteMessage(id: first.id) }
        }
    }

    @Test(arguments: StoreBackend.available)
    func perInboxRetentionOverridesTheDefault(backend: StoreBackend) async throws {
        try await withStore(on: backend, retention: .init(maximumMessages: 100)) { store in
            _ = try await store.createInbox(named: "small", maximumMessages: 2)
            for index in 0..<4 { _ = try await store.store(incoming("Subject: \(index)\r\n\r\n", inbox: "small")) }
            for index in 0..<4 { _ = try await store.store(incoming("Subject: \(index)\r\n\r\n")) }
            #expect(try await store.summaries(inInbox: "small").map(\.subject) == ["3", "2"])
            #expect(try await store.inbox(named: "default")?.total == 4)
            // Lowering the limit prunes at once.
            _ = try await store.updateInbox(named: "default", .init(maximumMessages: 1))
            #expect(try await store.summaries(inInbox: "default").map(\.subject) == ["3"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func createsDefaultInboxAndSurvivesReopen(backend: StoreBackend) async throws {
        try await withDatabase(on: backend) { open in
            let first = try await open()
            #expect(try await first.inboxes().map(\.name) == ["default"])
            let stored = try await first.store(incoming(Self.sampleMessage))
            try await first.close()
            let second = try await open()
            #expect(try await second.inboxes().map(\.name) == ["default"])
            #expect(try await second.rawMessage(id: stored.id) == Array(Self.sampleMessage.utf8))
            #expect(try await second.inbox(named: "default")?.total == 1)
            try await second.close()
        }
    }

    /// Every byte value, bare CR and LF, NUL and invalid UTF-8 come back exactly, as raw bytes and in the
    /// stored message.
    @Test(arguments: StoreBackend.available)
    func rawBytesComeBackExactly(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            var raw = Array("Subject: bytes\r\n\r\n".utf8)
            raw += (0...255).map(UInt8.init)
            raw += [0xC3, 0x28, 0x0D, 0x0A, 0x00, 0xFF, 0x0A, 0x0D]
            let stored = try await store.store(
                IncomingMessage(
                    inbox: "default", raw: raw,
                    envelope: MessageEnvelope(source: .smtp, mailFrom: "a@example.com", recipients: [])))
            #expect(try await store.rawMessage(id: stored.id) == raw)
            #expect(try await store.message(id: stored.id)?.raw == raw)
            #expect(stored.size == raw.count)
        }
    }

    @Test(arguments: StoreBackend.available)
    func concurrentStoresShareCommits(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let count = 300
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<count {
                    group.addTask { try await store.store(incoming("Subject: \(index)\r\n\r\nbody \(index)\r\n")).id }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(ids).count == count)
            let listed = try await store.summaries(inInbox: "default", limit: 1000)
            #expect(listed.count == count)
            // Newest first, and ids sort the same way as arrival.
            #expect(listed.map(\.id) == listed.map(\.id).sorted(by: >))
            let batches = try await writerBatches(store)
            #expect(batches < count, "expected concurrent writers to share transactions, got \(batches) for \(count)")
        }
    }

    @Test(arguments: StoreBackend.available)
    func slowSubscriberIsToldItFellBehind(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let events = await store.subscribe(bufferSize: 3)
            for index in 0..<5 { _ = try await store.store(incoming("Subject: \(index)\r\n\r\n")) }
            var received = 0
            await #expect(throws: ChangeFeedError.fellBehind) {
                for try await _ in events { received += 1 }
            }
            #expect(received == 3)
        }
    }
}
