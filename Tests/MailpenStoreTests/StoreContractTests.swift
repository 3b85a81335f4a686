import Foundation
import MailpenTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import MailpenStore

/// What the store protocol promises about inboxes, routes, tags, markers, deletions and retention by age,
/// checked alike on SQLite and on PostgreSQL.
@Suite("Store: the protocol on both backends")
struct StoreContractTests {
    static func note(_ subject: String, inbox: String = "default", to: [String] = ["bob@example.com"])
        -> IncomingMessage
    {
        incoming("From: alice@example.com\r\nSubject: \(subject)\r\n\r\n\(subject) body\r\n", inbox: inbox, to: to)
    }

    /// The next `count` events of `stream` that `isWanted` picks, skipping the others (such as the news of
    /// changes made before the test subscribed, which may still be on their way).
    static func next(
        _ count: Int, of stream: AsyncThrowingStream<StoreEvent, any Error>, where isWanted: (StoreEvent) -> Bool
    ) async throws -> [StoreEvent] {
        var picked: [StoreEvent] = []
        for try await event in stream where isWanted(event) {
            picked.append(event)
            if picked.count == count { break }
        }
        return picked
    }

    @Test(arguments: StoreBackend.available)
    func inboxesAreListedDefaultFirstThenByNameAndFoundWhateverTheCase(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            for name in ["zeta", "Alpha", "beta"] { _ = try await store.createInbox(named: name) }
            #expect(try await store.inboxes().map(\.name) == ["default", "Alpha", "beta", "zeta"])
            #expect(try await store.inbox(named: "ALPHA")?.name == "Alpha")
            #expect(try await store.inbox(named: "ghost") == nil)
            let generated = try #require(try await store.inbox(named: "beta")).smtpPassword
            #expect(!generated.isEmpty)
            await #expect(throws: StoreError.inboxNotFound("ghost")) {
                try await store.updateInbox(named: "ghost", .init(password: "x"))
            }
            await #expect(throws: StoreError.inboxNotFound("ghost")) { try await store.deleteInbox(named: "ghost") }
            let changed = try await store.updateInbox(named: "BETA", .init(password: "new", routes: ["*@b.example"]))
            #expect(changed.name == "beta" && changed.smtpPassword == "new" && changed.routes == ["*@b.example"])
        }
    }

    /// A message for a missing inbox is refused, or the inbox made with the given or a generated password.
    @Test(arguments: StoreBackend.available)
    func inboxCreationOnDelivery(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            func deliver(_ inbox: String, _ creation: IncomingMessage.InboxCreation) async throws -> MessageSummary {
                var message = Self.note("for \(inbox)", inbox: inbox)
                message.inboxCreation = creation
                return try await store.store(message)
            }
            await #expect(throws: StoreError.inboxNotFound("strict")) { try await deliver("strict", .never) }
            #expect(try await store.inbox(named: "strict") == nil)
            #expect(try await deliver("given", .withPassword("pw1")).inbox == "given")
            #expect(try await store.inbox(named: "given")?.smtpPassword == "pw1")
            #expect(try await deliver("made", .withGeneratedPassword).inbox == "made")
            let made = try #require(try await store.inbox(named: "made"))
            #expect(!made.smtpPassword.isEmpty && made.total == 1 && made.unread == 1)
            // An existing inbox keeps its password, whatever the message asks for.
            _ = try await deliver("GIVEN", .withPassword("other"))
            #expect(try await store.inbox(named: "given")?.smtpPassword == "pw1")
            #expect(try await store.inbox(named: "given")?.total == 2)
        }
    }

    /// Routes are wildcard patterns over the recipients, without regard to case; a message that does not ask
    /// to be routed, or matches no route, goes to the inbox it names.
    @Test(arguments: StoreBackend.available)
    func routesPickTheInboxByRecipient(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            _ = try await store.createInbox(named: "shop", routes: ["*@shop.example", "orders+?@mail.example"])
            func deliver(to recipients: [String], routed: Bool = true) async throws -> String {
                var message = Self.note("routed", to: recipients)
                message.routesByRecipient = routed
                return try await store.store(message).inbox
            }
            #expect(try await deliver(to: ["Anna@SHOP.example"]) == "shop")
            #expect(try await deliver(to: ["x@other.example", "b@shop.example"]) == "shop")
            #expect(try await deliver(to: ["orders+7@mail.example"]) == "shop")
            #expect(try await deliver(to: ["orders+77@mail.example"]) == "default")
            #expect(try await deliver(to: ["a@shop.example.org"]) == "default")
            #expect(try await deliver(to: ["a@shop.example"], routed: false) == "default")
            _ = try await store.updateInbox(named: "shop", .init(routes: []))
            #expect(try await deliver(to: ["a@shop.example"]) == "default")
        }
    }

    /// Tags keep the spelling and order first given, each once; counts are per message.
    @Test(arguments: StoreBackend.available)
    func tagsAreKeptAsWrittenAndCounted(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let first = try await store.store(Self.note("one"))
            let second = try await store.store(Self.note("two"))
            let events = await store.subscribe()
            let tagged = try await store.update(id: first.id, isRead: nil, tags: ["Work", "urgent", "Work", "ümlaut"])
            #expect(tagged.tags == ["Work", "urgent", "ümlaut"])
            _ = try await store.update(id: second.id, isRead: true, tags: ["urgent"])
            // The same tags again change nothing and announce nothing.
            let unchanged = try await store.update(id: first.id, isRead: false, tags: ["Work", "urgent", "ümlaut"])
            #expect(unchanged == tagged)
            #expect(try await store.summary(id: first.id)?.tags == ["Work", "urgent", "ümlaut"])
            #expect(try await store.tagCounts(inInbox: "default") == ["Work": 1, "urgent": 2, "ümlaut": 1])
            let byTag = try await store.messages(
                MessageQuery(inbox: "default", search: try SearchQuery(parsing: "tag:urgent")))
            #expect(byTag.messages.map(\.id) == [second.id, first.id])
            let cleared = try await store.update(id: first.id, isRead: nil, tags: [])
            #expect(cleared.tags.isEmpty)
            #expect(try await store.tagCounts(inInbox: "default") == ["urgent": 1])
            let updates = try await Self.next(3, of: events) { if case .updated = $0 { true } else { false } }
            #expect(updates.count == 3)
            #expect(updates.first == .updated(tagged))
            guard updates.count == 3, case .updated(let read) = updates[1] else { return }
            #expect(read.id == second.id && read.isRead)
            #expect(updates[2] == .updated(cleared))
            await #expect(throws: StoreError.messageNotFound("nope")) {
                try await store.update(id: "nope", isRead: true, tags: nil)
            }
            await #expect(throws: StoreError.inboxNotFound("ghost")) { try await store.tagCounts(inInbox: "ghost") }
        }
    }

    /// A marker asks for the messages that arrived after a message (even one deleted since) or a time.
    @Test(arguments: StoreBackend.available)
    func markersSelectWhatArrivedAfterThem(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            // Searchable, for the search after a marker at the end.
            let ids = try await storeSearchable((0..<5).map { Self.note("n\($0)") }, in: store).map(\.id)
            func after(_ marker: MessageMarker) async throws -> [String] {
                try await store.messages(MessageQuery(inbox: "default", since: marker), limit: 50).messages.map(\.id)
            }
            #expect(try await after(.message(id: ids[2])) == [ids[4], ids[3]])
            try await store.deleteMessage(id: ids[2])
            #expect(try await after(.message(id: ids[2])) == [ids[4], ids[3]])
            #expect(try await after(.message(id: ids[4])) == [])
            #expect(try await after(.time(Date(timeIntervalSinceNow: -3600))) == [ids[4], ids[3], ids[1], ids[0]])
            #expect(try await after(.time(Date(timeIntervalSinceNow: 3600))) == [])
            let page = try await store.messages(
                MessageQuery(
                    inbox: "default", search: try SearchQuery(parsing: "subject:n3"), since: .message(id: ids[0])))
            #expect(page.messages.map(\.id) == [ids[3]] && page.total == 1)
        }
    }

    /// Deleting by query takes the matching messages of that inbox only, keeps the counters right and
    /// announces the deletion; an empty query clears the inbox.
    @Test(arguments: StoreBackend.available)
    func deletingByQuery(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            _ = try await store.createInbox(named: "other")
            let doomed = try await storeSearchable(
                [
                    Self.note("doomed a"), Self.note("keep b"), Self.note("doomed c"),
                    Self.note("doomed d", inbox: "other"),
                ],
                in: store)
            _ = try await store.setRead(id: doomed[0].id, true)
            let events = await store.subscribe()
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:doomed"))
            #expect(try await store.deleteMessages(query) == 2)
            let deletions = try await Self.next(1, of: events) { if case .deleted = $0 { true } else { false } }
            guard case .deleted(let inbox, let ids) = deletions.first else {
                Issue.record("expected a deletion")
                return
            }
            #expect(inbox == "default" && Set(ids) == [doomed[0].id, doomed[2].id])
            let remaining = try #require(try await store.inbox(named: "default"))
            #expect(remaining.total == 1 && remaining.unread == 1)
            #expect(try await store.summaries(inInbox: "default").map(\.id) == [doomed[1].id])
            #expect(try await store.inbox(named: "other")?.total == 1)
            #expect(try await store.deleteMessages(query) == 0)
            #expect(try await store.deleteMessages(MessageQuery(inbox: "other")) == 1)
            #expect(try await store.inbox(named: "other")?.total == 0)
            await #expect(throws: StoreError.inboxNotFound("ghost")) {
                try await store.deleteMessages(MessageQuery(inbox: "ghost", search: try SearchQuery(parsing: "x")))
            }
        }
    }

    /// Ages: an inbox's own limit, else the default; `pruneExpired` deletes what is older, and lowering an
    /// inbox's age limit prunes at once.
    @Test(arguments: StoreBackend.available)
    func retentionByAge(backend: StoreBackend) async throws {
        try await withStore(on: backend, retention: .init(maximumAgeSeconds: 3600)) { store in
            _ = try await store.createInbox(named: "short", maximumAgeSeconds: 60)
            _ = try await store.createInbox(named: "long", maximumAgeSeconds: 86_400)
            for inbox in ["default", "short", "long"] {
                for number in 0..<3 { _ = try await store.store(Self.note("\(inbox) \(number)", inbox: inbox)) }
            }
            #expect(try await store.pruneExpired(now: Date()) == 0)
            #expect(try await store.pruneExpired(now: Date(timeIntervalSinceNow: 120)) == 3)
            #expect(try await store.inbox(named: "short")?.total == 0)
            #expect(try await store.inbox(named: "default")?.total == 3)
            #expect(try await store.pruneExpired(now: Date(timeIntervalSinceNow: 7200)) == 3)
            #expect(try await store.inbox(named: "default")?.total == 0)
            #expect(try await store.inbox(named: "long")?.total == 3)
            // Lowering the limit below the messages' age prunes at once.
            try await Task.sleep(for: .milliseconds(1100))
            let lowered = try await store.updateInbox(named: "long", .init(maximumAgeSeconds: 1))
            #expect(lowered.maximumAgeSeconds == 1 && lowered.total == 0)
            #expect(try await store.summaries(inInbox: "long").isEmpty)
            let events = await store.subscribe()
            let reset = try await store.updateInbox(named: "long", .init(maximumAgeSeconds: .some(nil)))
            #expect(reset.maximumAgeSeconds == nil)
            let changes = try await Self.next(1, of: events) { if case .inbox = $0 { true } else { false } }
            #expect(changes == [.inbox(name: "long", change: .updated)])
        }
    }

    /// A message's envelope comes back as it arrived; unknown ids find nothing.
    @Test(arguments: StoreBackend.available)
    func envelopesAndUnknownIDs(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let message = incoming(
                "Subject: env\r\n\r\nx\r\n", from: "sender@example.com", to: ["a@x.example", "b@y.example"])
            let stored = try await store.store(message)
            #expect(try await store.envelope(id: stored.id) == message.envelope)
            #expect(try await store.message(id: stored.id)?.envelope == message.envelope)
            #expect(try await store.summary(id: "missing") == nil)
            #expect(try await store.message(id: "missing") == nil)
            #expect(try await store.rawMessage(id: "missing") == nil)
            #expect(try await store.envelope(id: "missing") == nil)
            await #expect(throws: StoreError.inboxNotFound("ghost")) {
                try await store.messages(MessageQuery(inbox: "ghost"), limit: 10, offset: 0)
            }
            let empty = try await store.messages(MessageQuery(inbox: "default"), limit: 10, offset: 100)
            #expect(empty.messages.isEmpty && empty.total == 1)
        }
    }

    /// Several envelopes in one read: each by its id, gone ones left out, more than one statement's worth.
    @Test(arguments: StoreBackend.available)
    func envelopesOfSeveralMessagesInOneRead(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            var expected: [String: MessageEnvelope] = [:]
            for index in 0..<600 {
                let message = incoming(
                    "Subject: \(index)\r\n\r\nx\r\n", from: "s\(index)@example.com", to: ["r\(index)@x.example"])
                expected[try await store.store(message).id] = message.envelope
            }
            let ids = Array(expected.keys) + ["missing"]
            #expect(try await store.envelopes(ids: ids) == expected)
            #expect(try await store.envelopes(ids: []).isEmpty)
        }
    }
}

/// The rest of the protocol's promises: the event-loop store, own changes, health, a closed store, waits
/// for inboxes yet to come and since markers, tag searches and pruning under concurrent mail.
@Suite("Store: more of the protocol on both backends", .postgresTimeLimit)
struct StoreContractMoreTests {
    /// Storing from an event loop completes on that loop once committed, with the same summary a read gives.
    @Test(arguments: StoreBackend.available)
    func storingFromAnEventLoop(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let summary = try await store.store(StoreContractTests.note("from a loop"), on: loop).flatMap {
                summary -> EventLoopFuture<MessageSummary> in
                loop.preconditionInEventLoop()
                return loop.makeSucceededFuture(summary)
            }.get()
            #expect(try await store.summary(id: summary.id) == summary)
            let refused = store.store(StoreContractTests.note("nowhere", inbox: "ghost"), on: loop)
            await #expect(throws: StoreError.inboxNotFound("ghost")) { try await refused.get() }
            #expect(await store.health() == .healthy)
        }
    }

    /// A process's own changes are those it commits; on one node, every change.
    @Test(arguments: StoreBackend.available)
    func ownChangesAreThoseCommittedHere(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let own = await store.subscribeToOwnChanges(bufferSize: 16)
            let stored = try await store.store(StoreContractTests.note("mine"))
            try await store.deleteMessage(id: stored.id)
            var iterator = own.makeAsyncIterator()
            #expect(try await iterator.next() == .stored(stored))
            #expect(try await iterator.next() == .deleted(inbox: "default", ids: [stored.id]))
        }
    }

    /// Once closed, a store refuses every call with `closed`.
    @Test(arguments: StoreBackend.available)
    func aClosedStoreSaysSo(backend: StoreBackend) async throws {
        try await withDatabase(on: backend) { open in
            let store = try await open()
            let stored = try await store.store(StoreContractTests.note("before"))
            try await store.close()
            await #expect(throws: StoreError.closed) { try await store.inboxes() }
            await #expect(throws: StoreError.closed) { try await store.store(StoreContractTests.note("after")) }
            await #expect(throws: StoreError.closed) { try await store.summary(id: stored.id) }
            await #expect(throws: StoreError.closed) { try await store.messages(MessageQuery(inbox: "default")) }
            await #expect(throws: StoreError.closed) { try await store.deleteMessage(id: stored.id) }
            await #expect(throws: StoreError.closed) { try await store.createInbox(named: "late") }
            await #expect(throws: StoreError.closed) {
                try await store.waitForMessages(MessageQuery(inbox: "default"), count: 1, timeout: .seconds(5))
            }
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            await #expect(throws: StoreError.closed) {
                try await store.store(StoreContractTests.note("after"), on: loop).get()
            }
        }
    }

    /// A wait for an inbox that does not exist yet waits for it; a marker leaves older mail out.
    @Test(arguments: StoreBackend.available)
    func waitsForAnInboxYetToComeAndAfterAMarker(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let idle = try await waitingSubscribers(on: store)
            let later = try await beginWait(on: store) {
                try await store.waitForMessages(MessageQuery(inbox: "later"), count: 1, timeout: .seconds(20))
            }
            _ = try await store.createInbox(named: "later")
            let arrived = try await store.store(StoreContractTests.note("hello", inbox: "later"))
            #expect(try await later.value.map(\.id) == [arrived.id])
            try await untilWaitsEnded(on: store, idle: idle)

            let old = try await store.store(StoreContractTests.note("old"))
            let marker = MessageQuery(inbox: "default", since: .message(id: old.id))
            let afterMarker = try await beginWait(on: store) {
                try await store.waitForMessages(marker, count: 1, timeout: .seconds(20))
            }
            let new = try await store.store(StoreContractTests.note("new"))
            #expect(try await afterMarker.value.map(\.id) == [new.id])
        }
    }

    /// Tag searches ignore case, as tags are folded for searching; accents stay.
    @Test(arguments: StoreBackend.available)
    func tagSearchesIgnoreCase(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let tagged = try await store.store(StoreContractTests.note("tagged"))
            let plain = try await store.store(StoreContractTests.note("plain"))
            _ = try await store.update(id: tagged.id, isRead: nil, tags: ["Café-Ünit"])
            func found(_ query: String) async throws -> [String] {
                try await store.messages(MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)))
                    .messages.map(\.id)
            }
            for query in ["tag:café-ünit", "tag:CAFÉ-ÜNIT", "tag:\"Café-Ünit\""] {
                #expect(try await found(query) == [tagged.id], "query \(query)")
            }
            #expect(try await found("tag:cafe-unit").isEmpty)
            #expect(try await found("tag:café").isEmpty)
            #expect(try await found("-tag:CAFÉ-ünit") == [plain.id])
        }
    }

    /// Concurrent mail into a small inbox keeps exactly its newest messages, and the counters agree.
    @Test(arguments: StoreBackend.available)
    func aCountLimitHoldsUnderConcurrentMail(backend: StoreBackend) async throws {
        try await withStore(on: backend, retention: .init(maximumMessages: 5)) { store in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for number in 0..<40 {
                    group.addTask { try await store.store(StoreContractTests.note("n\(number)")).id }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            let kept = try await store.summaries(inInbox: "default").map(\.id)
            #expect(kept == Array(ids.sorted().suffix(5).reversed()))
            let inbox = try #require(try await store.inbox(named: "default"))
            #expect(inbox.total == 5 && inbox.unread == 5)
            let page = try await store.messages(MessageQuery(inbox: "default"), limit: 0, offset: 0)
            #expect(page.messages.isEmpty && page.total == 5 && page.unread == 5)
        }
    }

    /// An inbox deleted and made again under its name starts empty, and its old messages are gone.
    @Test(arguments: StoreBackend.available)
    func aRecreatedInboxStartsEmpty(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            _ = try await store.createInbox(named: "again")
            let old = try await storeSearchable([StoreContractTests.note("old words", inbox: "again")], in: store)
            try await store.deleteInbox(named: "AGAIN")
            #expect(try await store.summary(id: old[0].id) == nil)
            #expect(try await store.rawMessage(id: old[0].id) == nil)
            _ = try await store.createInbox(named: "again")
            let fresh = try #require(try await store.inbox(named: "again"))
            #expect(fresh.total == 0 && fresh.unread == 0)
            let search = MessageQuery(inbox: "again", search: try SearchQuery(parsing: "words"))
            #expect(try await store.messages(search).total == 0)
            #expect(try await store.tagCounts(inInbox: "again").isEmpty)
        }
    }
}
