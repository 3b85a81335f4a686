import Foundation
import GRDB
import MailpenTestSupport
import MailpenTesting
import NIOCore
import Testing

@testable import MailpenStore

@Suite("Store")
struct StoreTests {
    /// A message with encoded words in its header, as mail from the world has.
    static let sampleMessage = TestMessage(
        from: "=?UTF-8?Q?Al=C3=AFce?= <alice@example.com>", to: ["Bob <bob@example.com>", "carol@example.com"],
        cc: ["dave@example.com"], subject: "=?UTF-8?B?SGVsbG8g8J+Riw==?=", text: "Hi Bob, this is the body.\n",
        date: Date(timeIntervalSince1970: 1_795_946_400), messageID: "<abc@example.com>"
    ).string

    /// GRDB switches a pool's writer to `synchronous = NORMAL` when it enables WAL; the store must win, or a
    /// 250 would be sent for a commit still in the page cache.
    @Test(arguments: [(Durability.full, 2), (.normal, 1)])
    func commitsAreFlushedAsConfigured(durability: Durability, expected: Int) async throws {
        try await withStore({ $0.durability = durability }) { store, _ in
            let level = try await store.database.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
            #expect(level == expected)
        }
    }

    /// FTS5's automatic merging runs inside the inserting transaction and stalls a waiting test's wake-up
    /// now and then: a trickle of mail is indexed without it, also after a burst left it on and Mailpen
    /// stopped.
    @Test func indexesATrickleWithoutAutomaticMerging() async throws {
        try await withStore { store, path in
            let searchable = await store.indexed.subscribe()
            _ = try await store.store(incoming(Self.sampleMessage))
            for try await event in searchable {
                _ = event
                break
            }
            #expect(try await Self.automergeLevels(store) == [0, 0])
            try await store.close()
            let index = try DatabaseQueue(path: path + "-search")
            try await index.write { db in
                for table in ["message_text", "message_fields"] {
                    try db.execute(sql: "INSERT INTO \(table) (\(table), rank) VALUES ('automerge', 4)")
                }
            }
            try index.close()
            let reopened = try SQLiteStore(configuration: .init(path: path))
            #expect(try await Self.automergeLevels(reopened) == [0, 0])
            try await reopened.close()
        }
    }

    /// The indexer keeps merging for as long as a step reports work: the report must be true while
    /// segments wait to be merged, and turn false once they are, or merging would spin or never run.
    @Test func mergeStepsReportWorkUntilTheSegmentsAreMerged() throws {
        let index = try DatabaseQueue()
        try index.writeWithoutTransaction { try SearchIndexSchema.prepare($0, schema: "") }
        for number in 0..<12 {  // One segment per transaction, as the indexer's runs make them.
            try index.write { db in
                try db.execute(
                    sql: "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?, ?, '', ?)",
                    arguments: [number + 1, "note \(number)", "word\(number) shared text"])
            }
        }
        var steps = 0
        while try index.write({ try SearchIndexSchema.mergeStep("message_text", in: $0, schema: "", pages: 4) }) {
            steps += 1
            try #require(steps < 1000, "merging never finished")
        }
        #expect(steps > 0)
        #expect(
            try index.write { try SearchIndexSchema.mergeStep("message_text", in: $0, schema: "", pages: 4) } == false)
        let found = try index.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM message_text WHERE message_text MATCH 'shared'")
        }
        #expect(found == 12)
    }

    /// While a request waits for mail, the indexer leaves merging for later (a step can take longer than
    /// indexing the awaited message); once nobody waits, it merges what piled up.
    @Test func noMergingWhileAWaitIsPending() async throws {
        try await withStore { store, _ in
            let events = await store.indexed.subscribe(bufferSize: 1024)
            let never = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:nevermatches"))
            let baseline = await store.indexed.subscriberCount
            let waiting = Task { try await store.waitForMessages(never, count: 1, timeout: .seconds(60)) }
            await store.indexed.subscriberCount(where: { $0 > baseline })
            for number in 0..<10 {
                let id = try await store.store(incoming("Subject: note \(number)\r\n\r\nshared\r\n")).id
                searchable: for try await event in events {
                    if event.ids.contains(id) { break searchable }
                }
                // Longer than the quiet moment the indexer waits for before merging when nobody waits.
                try await Task.sleep(for: .milliseconds(150))
            }
            let piled = try await Self.segmentCount(store)
            #expect(piled >= 10)
            waiting.cancel()
            var merged = piled
            for _ in 0..<100 where merged >= piled {
                // Merging announces nothing: the index's segments are looked at until they shrink.
                try await Task.sleep(for: .milliseconds(100))
                merged = try await Self.segmentCount(store)
            }
            #expect(merged < piled)
            let found = try await store.messages(
                MessageQuery(inbox: "default", search: try SearchQuery(parsing: "shared")))
            #expect(found.total == 10)
        }
    }

    /// During a stream of mail the indexer runs at most every 20 ms, each run indexing what arrived
    /// meanwhile: forty commits in quick succession make far fewer runs (each announced once).
    @Test func aStreamOfCommitsIsIndexedInFewerRuns() async throws {
        try await withStore { store, _ in
            let events = await store.indexed.subscribe(bufferSize: 4096)
            let commits = 40
            let started = ContinuousClock.now
            for number in 0..<commits {
                _ = try await store.store(incoming("Subject: stream \(number)\r\n\r\nx\r\n"))
            }
            let elapsed = ContinuousClock.now - started
            var runs = 0
            var indexed = 0
            for try await event in events {
                let ids = event.ids
                runs += 1
                indexed += ids.count
                if indexed == commits { break }
            }
            // One run per 20 ms of storing, plus the first and the last; a run per commit would be 40. (On a
            // machine so loaded that storing takes 20 ms a message, the bound no longer tells them apart.)
            let interval = Duration.nanoseconds(SearchIndexer.minimumRunInterval.nanoseconds)
            let bound = Int(elapsed / interval) + 2
            #expect(runs <= bound, "\(runs) runs for \(commits) commits in \(elapsed)")
        }
    }

    /// Segments of the index's text table (each indexing run adds one until they are merged).
    private static func segmentCount(_ store: SQLiteStore) async throws -> Int {
        try await store.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT segid) FROM search.message_text_idx") ?? 0
        }
    }

    private static func automergeLevels(_ store: SQLiteStore) async throws -> [Int] {
        try await store.database.read { db in
            try ["message_text", "message_fields"].map { table in
                try Int.fetchOne(db, sql: "SELECT v FROM search.\(table)_config WHERE k = 'automerge'") ?? -1
            }
        }
    }

    @Test func createsDefaultInboxAndSurvivesReopen() async throws {
        try await withDatabasePath { path in
            let first = try SQLiteStore(configuration: .init(path: path))
            #expect(try await first.inboxes().map(\.name) == ["default"])
            let stored = try await first.store(incoming(Self.sampleMessage))
            try await first.close()
            let second = try SQLiteStore(configuration: .init(path: path))
            #expect(try await second.inboxes().map(\.name) == ["default"])
            #expect(try await second.rawMessage(id: stored.id) == Array(Self.sampleMessage.utf8))
            #expect(try await second.inbox(named: "default")?.total == 1)
            try await second.close()
        }
    }

    /// Closing puts both write-ahead logs back into their files.
    @Test func closingEmptiesBothLogs() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStore(configuration: .init(path: path))
            let events = await store.indexed.subscribe()
            var stored: Set<String> = []
            for index in 0..<20 {
                stored.insert(
                    try await store.store(
                        incoming("Subject: logged \(index)\r\n\r\n" + String(repeating: "word ", count: 300))
                    ).id)
            }
            for try await event in events {
                stored.subtract(event.ids)
                if stored.isEmpty { break }
            }
            let indexLog = path + "-search-wal"
            #expect(try FileManager.default.attributesOfItem(atPath: indexLog)[.size] as? Int ?? 0 > 0)
            try await store.close()
            for log in [path + "-wal", indexLog] {
                let size = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
                #expect(size == 0, "\(log) holds \(size) bytes after closing")
            }
        }
    }

    @Test func searchIndexIsCheckpointedOnceMailGoesQuiet() async throws {
        try await withStore { store, path in
            let indexFile = path + "-search"
            let sizeBefore = try FileManager.default.attributesOfItem(atPath: indexFile)[.size] as? Int ?? 0
            for index in 0..<40 {
                _ = try await store.store(
                    incoming(
                        "Subject: quiet \(index)\r\n\r\n" + String(repeating: "word\(index) ", count: 200) + "\r\n"))
            }
            let found = try await store.waitForMessages(
                MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:\"quiet 39\"")), count: 1,
                timeout: .seconds(10))
            #expect(found.count == 1)
            // The index lives in its log until half a second without mail; then it is copied into the file.
            var sizeAfter = sizeBefore
            for _ in 0..<100 where sizeAfter <= sizeBefore {
                // A checkpoint announces nothing: the file is looked at until it grows.
                try await Task.sleep(for: .milliseconds(50))
                sizeAfter = try FileManager.default.attributesOfItem(atPath: indexFile)[.size] as? Int ?? 0
            }
            #expect(sizeAfter > sizeBefore, "the search index file did not grow: no checkpoint ran")
        }
    }

    /// A wait checks each new message against its query — in the wait matcher, or (in a store without
    /// one, `:memory:`) in the search index with rows bounded from the oldest new one on; messages that
    /// matched before it began still count, and a new one that does not match is not taken, whichever index
    /// (words or fields) drives the query.
    @Test(arguments: [("alpha", false), ("from:alice", false), ("alpha from:alice -beta", true)], [false, true])
    func waitCountsOlderMatchesAndChecksOnlyNewRows(queryCase: (String, Bool), inMemory: Bool) async throws {
        let (query, excludesBeta) = queryCase
        func run(_ store: SQLiteStore) async throws {
            #expect((store.matcher == nil) == inMemory)
            func send(_ body: String, from sender: String = "alice") async throws -> String {
                try await store.store(incoming("From: \(sender)@example.com\r\nSubject: note\r\n\r\n\(body)\r\n")).id
            }
            var older: [String] = []
            for number in 0..<5 { older.append(try await send("alpha \(number)")) }
            let search = MessageQuery(inbox: "default", search: try SearchQuery(parsing: query))
            let baseline = await store.indexed.subscriberCount
            async let found = store.waitForMessages(search, count: 7, timeout: .seconds(20))
            await store.indexed.subscriberCount(where: { $0 > baseline })
            _ = try await send("gamma", from: "bob")  // matches none of the queries
            let again = try await send("alpha again")
            let beta = try await send("alpha beta")
            let more = try await send("alpha more")
            let expected = [excludesBeta ? more : beta, again] + older.reversed()
            #expect(try await found.map(\.id) == expected)
        }
        if inMemory {
            let store = try SQLiteStore(configuration: .init(path: ":memory:"))
            try await run(store)
            try await store.close()
        } else {
            try await withStore { store, _ in try await run(store) }
        }
    }

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

    @Test func concurrentStoresShareCommits() async throws {
        try await withStore { store, _ in
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
            let batches = await store.writerStatistics.batches
            #expect(batches < count, "expected concurrent writers to share transactions, got \(batches) for \(count)")
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
            try await store.clearInbox(named: "shop")
            var iterator = events.makeAsyncIterator()
            #expect(try await iterator.next() == .stored(stored))
            #expect(try await iterator.next() == .updated(read))
            #expect(try await iterator.next() == .deleted(inbox: "default", ids: [stored.id]))
            #expect(try await iterator.next() == .inbox(name: "shop", change: .created))
            #expect(try await iterator.next() == .cleared(inbox: "shop"))
        }
    }

    @Test func slowSubscriberIsToldItFellBehind() async throws {
        try await withStore { store, _ in
            let events = await store.indexed.subscribe(bufferSize: 3)
            for index in 0..<5 { _ = try await store.store(incoming("Subject: \(index)\r\n\r\n")) }
            var received = 0
            await #expect(throws: ChangeFeedError.fellBehind) {
                for try await _ in events { received += 1 }
            }
            #expect(received == 3)
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

    @Test func rawBytesAreKeptOutOfTheMessageTable() async throws {
        try await withStore { store, path in
            _ = try await store.store(incoming(Self.sampleMessage))
            try await store.close()
            let columns = try await Self.sqliteColumns(path: path, table: "message")
            #expect(!columns.contains("raw"))
            #expect(try await Self.sqliteColumns(path: path, table: "message_raw").contains("raw"))
        }
    }

    /// Reads a table's columns with the sqlite3 command-line shell (an independent reader of the file).
    private static func sqliteColumns(path: String, table: String) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, "SELECT name FROM pragma_table_info('\(table)')"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // Read on a thread of its own, not one of the shared pool's.
        let data = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
