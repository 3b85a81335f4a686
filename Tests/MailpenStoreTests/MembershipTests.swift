import Foundation
import GRDB
import Synchronization
import Testing

@testable import MailpenStore

@Suite("Search: row sets")
struct RowSetTests {
    static func set(_ rows: [Int64], largest: Int64) -> RowSet {
        var set = RowSet(largest: largest)
        for row in rows { set.insert(row) }
        return set
    }

    @Test("pages from the largest row down match sorting the rows")
    func pagesNewestFirst() {
        // Every third row, and runs of whole and empty words: pages must cross words in every way.
        let rows = (1...700).filter { $0 % 3 == 0 || (128..<256).contains($0) }.filter { !(400..<520).contains($0) }.map(Int64.init)
        let set = Self.set(rows, largest: 700)
        let descending = Array(rows.reversed())
        #expect(set.count == rows.count)
        for (limit, offset) in [(50, 0), (50, 63), (50, 64), (1, 0), (7, 129), (1000, 0), (10, rows.count - 3), (10, rows.count), (0, 5)] {
            let expected = Array(descending.dropFirst(offset).prefix(limit))
            #expect(set.largest(limit, skipping: offset) == expected, "limit \(limit) offset \(offset)")
        }
    }

    @Test("sets of different sizes combine as if the smaller were padded with empty rows")
    func differentSizes() {
        let small = Self.set([1, 5, 63, 64, 100], largest: 100)
        var large = Self.set([1, 63, 64, 100, 101, 500], largest: 600)
        #expect(large.countOfIntersection(with: small) == 4)
        var subtracted = large
        subtracted.subtract(small)
        #expect(Array(subtracted) == [101, 500])
        large.formIntersection(small)
        #expect(Array(large) == [1, 63, 64, 100])
        var shrunk = small
        shrunk.formIntersection(Self.set([5, 100, 300], largest: 400))
        #expect(Array(shrunk) == [5, 100])
    }
}

@Suite("Search: inbox membership between commits")
struct MembershipCacheTests {
    /// A search reads the inbox's membership once and keeps it for the next searches; every commit must
    /// make the next search read it again: reads, deletions, new mail and clearing all show at once.
    @Test("a search after a commit sees the commit")
    func searchesSeeEveryCommit() async throws {
        try await withStore { store, _ in
            let events = await store.indexed.subscribe(bufferSize: 4096)
            var ids: [String] = []
            func send(_ count: Int) async throws {
                for index in 0..<count {
                    let raw = "From: alice@example.com\r\nSubject: Note \(ids.count)\r\n\r\nalpha \(index)\r\n"
                    ids.append(try await store.store(incoming(raw)).id)
                }
            }
            var searchable = 0
            func waitUntilSearchable(_ total: Int) async throws {
                for try await event in events {
                    searchable += event.ids.count
                    if searchable >= total { return }
                }
            }
            let alpha = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "alpha"))
            func expectTotals(_ total: Int, unread: Int, newest: String?, _ comment: Comment) async throws {
                let page = try await store.messages(alpha, limit: 1)
                #expect(page.total == total, comment)
                #expect(page.unread == unread, comment)
                #expect(page.messages.first?.id == newest, comment)
            }

            try await send(40)
            try await waitUntilSearchable(40)
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
            try await waitUntilSearchable(45)
            try await expectTotals(43, unread: 42, newest: ids.last, "after five new messages")

            _ = try await store.clearInbox(named: "default")
            try await expectTotals(0, unread: 0, newest: nil, "after clearing the inbox")
        }
    }
}

@Suite("Lists: deep pages")
struct DeepPageTests {
    /// Pages past `deepListOffset` come from the inbox's rows kept between requests, brought up to date
    /// by the rows added since, or read afresh after deletions: after each change they must equal the pages
    /// of the index (read near the top, in one page of everything), with another inbox's mail interleaved.
    @Test("pages deep into a plain list stay exact as mail comes and goes")
    func deepPagesStayExact() async throws {
        try await withDatabasePath { path in
            var configuration = SQLiteStore.Configuration(path: path)
            configuration.deepListOffset = 5
            let store = try SQLiteStore(configuration: configuration)
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
                again.append(try await store.store(incoming("Subject: again \(number)\r\n\r\nx\r\n", inbox: "other")).id)
            }
            let page = try await store.messages(other, limit: 3, offset: 5)
            #expect(page.messages.map(\.id) == Array(again.reversed().dropFirst(5).prefix(3)))
            try await store.close()
        }
    }
}

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
            try await waitUntilSubscribed(store, baseline: baseline)
            #expect(await matcher.registeredCount == 1)
            _ = try await store.store(incoming("From: shop@example.com\r\nSubject: receipt\r\n\r\nno\r\n"))
            _ = try await store.store(incoming("From: other@example.com\r\nSubject: invoice 7\r\n\r\nno\r\n"))
            let wanted = try await store.store(incoming("From: shop@example.com\r\nSubject: Invoice 8\r\n\r\nyes\r\n"))
            #expect(try await found.map(\.id) == [wanted.id])
            #expect(await matcher.registeredCount == 0)
        }
    }

    /// A message stored before the wait began was never given to the matcher: the wait finds it through the
    /// search index once indexed, as before.
    @Test("messages from before the wait still count")
    func olderMessagesStillCount() async throws {
        try await withStore { store, _ in
            let first = try await store.store(incoming("Subject: invoice 1\r\n\r\nx\r\n"))
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:invoice"))
            let baseline = await store.indexed.subscriberCount
            async let found = store.waitForMessages(query, count: 2, timeout: .seconds(20))
            try await waitUntilSubscribed(store, baseline: baseline)
            let second = try await store.store(incoming("Subject: invoice 2\r\n\r\nx\r\n"))
            #expect(try await found.map(\.id) == [second.id, first.id])
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
            try await waitUntilSubscribed(store, baseline: baseline)
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
            try await waitUntilSubscribed(store, baseline: baseline)
            let watched = try await store.store(incoming("Subject: watched\r\n\r\nx\r\n"))
            _ = try await matcher.indexedCount()
            #expect(arrivals.all["probe"]?.map(\.checked) == [[watched.id]])
            waiting.cancel()
            _ = await waiting.result
        }
    }

    /// A wait that ends in any way — a timeout, a cancelled caller, the store closing — leaves no
    /// registration behind, and closing the store with a wait pending ends the wait with `closed`.
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
            try await waitUntilSubscribed(store, baseline: baseline)
            #expect(await matcher.registeredCount == 1)
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
            #expect(await matcher.registeredCount == 0)
        }
        try await withDatabasePath { path in
            let store = try SQLiteStore(configuration: .init(path: path))
            let never = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:nevermatches"))
            let baseline = await store.indexed.subscriberCount
            let waiting = Task { try await store.waitForMessages(never, count: 1, timeout: .seconds(60)) }
            try await waitUntilSubscribed(store, baseline: baseline)
            try await store.close()
            await #expect(throws: StoreError.closed) { try await waiting.value }
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
            let alpha = await matcher.register(MessageQuery(inbox: "default", search: try SearchQuery(parsing: "alpha"))) {
                arrivals.append("alpha", $0)
            }
            let all = await matcher.register(MessageQuery(inbox: "DEFAULT")) { arrivals.append("all", $0) }
            let other = await matcher.register(MessageQuery(inbox: "other")) { arrivals.append("other", $0) }
            let elsewhere = await matcher.register(MessageQuery(inbox: "elsewhere")) { arrivals.append("elsewhere", $0) }
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
            #expect(elapsed < .seconds(2))
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

/// Returns once a wait has subscribed to the change feed (beyond the subscriptions of `baseline`): mail
/// stored after that wakes it.
func waitUntilSubscribed(_ store: SQLiteStore, baseline: Int) async throws {
    while await store.indexed.subscriberCount <= baseline { try await Task.sleep(for: .milliseconds(5)) }
}
