import Foundation
import GRDB
import MailpenTestSupport
import Synchronization
import Testing

@testable import MailpenStore

/// SQLite-only: the wait matcher is the SQLite store's in-memory index of new mail; PostgreSQL searches
/// new mail in the database (``WaitTests`` checks what waits do on both).
@Suite("Waits: the wait matcher")
struct WaitMatcherTests {
    /// While a request waits, each new message is checked against its query as soon as it is committed,
    /// without the search index: with the indexer stopped, the wait is still woken by a match, and only by
    /// one; and it unregisters when it ends.
    @Test("a wait is woken without the search indexer")
    func waitWithoutIndexer() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            await store.indexer.stop()
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:invoice from:shop"))
            let baseline = await store.indexed.subscriberCount
            async let found = store.waitForMessages(query, count: 1, timeout: .seconds(20))
            await store.indexed.subscriberCount(where: { $0 > baseline })
            #expect(await matcher.registeredCount == 1)
            _ = try await store.store(incoming("From: shop@example.com\r\nSubject: receipt\r\n\r\nno\r\n"))
            _ = try await store.store(incoming("From: other@example.com\r\nSubject: invoice 7\r\n\r\nno\r\n"))
            let wanted = try await store.store(incoming("From: shop@example.com\r\nSubject: Invoice 8\r\n\r\nyes\r\n"))
            #expect(try await found.map(\.id) == [wanted.id])
            #expect(await matcher.registeredCount == 0)
        }
    }

    /// A message too large for the matcher is left to the search index, and still wakes the wait.
    @Test("a large message wakes the wait through the search index")
    func largeMessageFallsBack() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:bulky"))
            // A second wait, watched directly: the matcher must not check the large message for it either.
            let arrivals = Arrivals()
            let probe = await matcher.register(MessageQuery(inbox: "default")) { arrivals.append("probe", $0) }
            defer { matcher.unregister(probe) }
            let baseline = await store.indexed.subscriberCount
            async let found = store.waitForMessages(query, count: 1, timeout: .seconds(20))
            await store.indexed.subscriberCount(where: { $0 > baseline })
            // A small message is checked (the probe works); the large one is not.
            let small = try await store.store(incoming("Subject: small\r\n\r\nx\r\n"))
            let line = String(repeating: "x", count: 998) + "\r\n"
            let body = String(repeating: line, count: WaitMatcher.largestMessage / line.utf8.count + 1)
            let large = try await store.store(incoming("Subject: bulky\r\n\r\n" + body))
            #expect(large.size > WaitMatcher.largestMessage)
            _ = try await matcher.indexedCount()  // Runs after any check of the batches.
            #expect(arrivals.all["probe"]?.map(\.checked) == [[small.id]])
            #expect(try await found.map(\.id) == [large.id])
        }
    }

    /// The writer hands the matcher nothing while no request waits: a registration alone (no wait counted)
    /// gets no news.
    @Test("nothing is checked while nobody waits")
    func nothingCheckedWithoutWaits() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            let arrivals = Arrivals()
            let probe = await matcher.register(MessageQuery(inbox: "default")) { arrivals.append("probe", $0) }
            defer { matcher.unregister(probe) }
            _ = try await store.store(incoming("Subject: unwatched\r\n\r\nx\r\n"))
            _ = try await matcher.indexedCount()
            #expect(arrivals.all.isEmpty)
            // While a wait is counted, the same message would have been checked.
            let never = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:nevermatches"))
            let baseline = await store.indexed.subscriberCount
            let waiting = Task { try await store.waitForMessages(never, count: 1, timeout: .seconds(60)) }
            await store.indexed.subscriberCount(where: { $0 > baseline })
            let watched = try await store.store(incoming("Subject: watched\r\n\r\nx\r\n"))
            _ = try await matcher.indexedCount()
            #expect(arrivals.all["probe"]?.map(\.checked) == [[watched.id]])
            waiting.cancel()
            _ = await waiting.result
        }
    }

    /// A wait that ends by its timeout or a cancelled caller leaves no registration behind (how waits end
    /// is in ``WaitTests``).
    @Test("a wait unregisters however it ends")
    func registrationEndsWithTheWait() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            let never = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:nevermatches"))
            await #expect(throws: StoreError.timedOut) {
                try await store.waitForMessages(never, count: 1, timeout: .milliseconds(100))
            }
            #expect(await matcher.registeredCount == 0)
            let baseline = await store.indexed.subscriberCount
            let waiting = Task { try await store.waitForMessages(never, count: 1, timeout: .seconds(60)) }
            await store.indexed.subscriberCount(where: { $0 > baseline })
            #expect(await matcher.registeredCount == 1)
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            #expect(await matcher.registeredCount == 0)
        }
    }

    /// The matcher checks each batch against every registered wait of the batch's inbox — and no other —
    /// and keeps nothing afterwards: its index is empty again for the next batch.
    @Test("checks each batch against the waits of its inbox and keeps nothing")
    func checksEachBatchOnce() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            _ = try await store.createInbox(named: "other")
            let summaries = [
                try await store.store(incoming("Subject: alpha one\r\n\r\nx\r\n")),
                try await store.store(incoming("Subject: beta two\r\n\r\nx\r\n")),
                try await store.store(incoming("Subject: alpha three\r\n\r\nx\r\n", inbox: "other")),
            ]
            let arrivals = Arrivals()
            let alpha = await matcher.register(
                MessageQuery(inbox: "default", search: try SearchQuery(parsing: "alpha"))
            ) {
                arrivals.append("alpha", $0)
            }
            let all = await matcher.register(MessageQuery(inbox: "DEFAULT")) { arrivals.append("all", $0) }
            let other = await matcher.register(MessageQuery(inbox: "other")) { arrivals.append("other", $0) }
            let elsewhere = await matcher.register(MessageQuery(inbox: "elsewhere")) {
                arrivals.append("elsewhere", $0)
            }
            matcher.add(try await entries(for: summaries, in: store))
            #expect(try await matcher.indexedCount() == 0)
            let seen = arrivals.all
            let ids = summaries.map(\.id)
            // One delivery per wait and batch.
            #expect(seen.mapValues(\.count) == ["alpha": 1, "all": 1, "other": 1])
            #expect(seen["alpha"]?.first?.checked == [ids[0], ids[1]])
            #expect(seen["alpha"]?.first?.matching.map(\.id) == [ids[0]])
            #expect(seen["all"]?.first?.matching.map(\.id) == [ids[1], ids[0]])
            #expect(seen["other"]?.first?.matching.map(\.id) == [ids[2]])
            for registration in [alpha, all, other, elsewhere] { matcher.unregister(registration) }
            #expect(await matcher.registeredCount == 0)
        }
    }

    /// The matcher looks at a batch's range of row ids; a message in that range that it was not handed (one
    /// too large) is not in its index, so a negated word would match it wrongly: it must not be reported.
    @Test("a message not handed over is not reported, even for a negated word")
    func skippedMessageIsNotReported() async throws {
        try await withStore { store, _ in
            let matcher = try #require(store.matcher)
            let first = try await store.store(incoming("Subject: report 1\r\n\r\nfine\r\n"))
            let padding = String(repeating: String(repeating: "x", count: 998) + "\r\n", count: 300)
            _ = try await store.store(incoming("Subject: report 2\r\n\r\nforbidden\r\n" + padding))
            let third = try await store.store(incoming("Subject: report 3\r\n\r\nfine\r\n"))
            let arrivals = Arrivals()
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "-forbidden"))
            let registration = await matcher.register(query) { arrivals.append("negated", $0) }
            defer { matcher.unregister(registration) }
            matcher.add(try await entries(for: [first, third], in: store))
            _ = try await matcher.indexedCount()
            #expect(arrivals.all["negated"]?.first?.checked == [first.id, third.id])
            #expect(arrivals.all["negated"]?.first?.matching.map(\.id) == [third.id, first.id])
        }
    }

    /// The matcher writes only its in-memory database: while another connection holds the main file's write
    /// lock (the writer, mid-commit), it still checks new messages at once.
    @Test("never waits for the main database's write lock")
    func doesNotLockTheMainFile() async throws {
        try await withStore { store, path in
            let matcher = try #require(store.matcher)
            let summary = try await store.store(incoming("Subject: locked\r\n\r\nx\r\n"))
            let batch = try await entries(for: [summary], in: store)
            // Another connection holds the write lock, on a thread of its own, until released.
            let holder = try DatabaseQueue(path: path)
            let locked = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                try? holder.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    locked.signal()
                    release.wait()
                    try db.execute(sql: "ROLLBACK")
                }
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    locked.wait()
                    continuation.resume()
                }
            }
            let started = ContinuousClock.now
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:locked"))
            let arrivals = Arrivals()
            let registration = await matcher.register(query) { arrivals.append("locked", $0) }
            matcher.add(batch)
            _ = try await matcher.indexedCount()  // Runs after the batch's check.
            let elapsed = ContinuousClock.now - started
            release.signal()
            try await holder.writeWithoutTransaction { _ in }  // Waits for the rollback.
            try holder.close()
            matcher.unregister(registration)
            #expect(arrivals.all["locked"]?.map(\.checked) == [[summary.id]])
            #expect(arrivals.all["locked"]?.first?.matching.map(\.id) == [summary.id])
            // Waiting on the held lock would never end (it is released below); a loaded machine is slow.
            #expect(elapsed < .seconds(10))
        }
    }

    /// The entries the writer would hand over for `summaries`.
    private func entries(for summaries: [MessageSummary], in store: SQLiteStore) async throws -> [WaitMatcher.Entry] {
        var entries: [WaitMatcher.Entry] = []
        for summary in summaries {
            let raw = try #require(try await store.rawMessage(id: summary.id))
            let seq = try #require(
                try await store.database.read {
                    try Int64.fetchOne($0, sql: "SELECT seq FROM message WHERE id = ?", arguments: [summary.id])
                })
            entries.append(.init(seq: seq, id: summary.id, inbox: summary.inbox, raw: Data(raw), recipients: ""))
        }
        return entries
    }
}

/// What the matcher delivered, by wait, every delivery (made on its thread, read by the test).
private final class Arrivals: Sendable {
    private let delivered = Mutex<[String: [WaitMatcher.Arrival]]>([:])

    func append(_ name: String, _ arrival: WaitMatcher.Arrival) {
        delivered.withLock { $0[name, default: []].append(arrival) }
    }

    var all: [String: [WaitMatcher.Arrival]] { delivered.withLock { $0 } }
}
