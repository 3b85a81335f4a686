import Foundation
import GRDB
import Logging
import MailpenTestSupport
import NIOCore
import Testing

@testable import MailpenStore

/// SQLite-only: durability pragmas, the write-ahead logs, the FTS5 search indexer and the file layout are
/// how ``SQLiteStore`` works inside; PostgreSQL has none of them (``StoreTests`` checks what both do).
@Suite("SQLite store")
struct SQLiteStoreTests {
    /// GRDB switches a pool's writer to `synchronous = NORMAL` when it enables WAL; the store must win, or a
    /// 250 would be sent for a commit still in the page cache.
    @Test(arguments: [(Durability.full, 2), (.normal, 1)])
    func commitsAreFlushedAsConfigured(durability: Durability, expected: Int) async throws {
        try await withStore({ $0.durability = durability }) { store, _ in
            let level = try await store.database.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
            #expect(level == expected)
        }
    }

    private static func pageSize(of file: String) throws -> Int? {
        let queue = try DatabaseQueue(path: file)
        defer { try? queue.close() }
        return try queue.read { try Int.fetchOne($0, sql: "PRAGMA page_size") }
    }

    /// A new index file is made of large pages, and one made before keeps its own.
    @Test func aNewIndexFileTakesLargePages() async throws {
        try await withDatabasePath { path in
            let store = try SQLiteStore(configuration: .init(path: path))
            try await store.close()
            #expect(try Self.pageSize(of: path + "-search") == SearchIndexSchema.pageSize)
            #expect(try Self.pageSize(of: path) == 4096)
        }
        try await withDatabasePath { path in
            let older = try DatabaseQueue(path: path + "-search")
            try await older.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 4096")
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try SearchIndexSchema.prepare(db, schema: "")
            }
            try older.close()
            let store = try SQLiteStore(configuration: .init(path: path))
            _ = try await store.store(incoming(StoreTests.sampleMessage))
            try await store.close()
            #expect(try Self.pageSize(of: path + "-search") == 4096)
        }
    }

    /// Ways a search index file can be damaged on disk.
    enum IndexDamage: CaseIterable, Sendable {
        /// Its header is not SQLite's (`SQLITE_NOTADB`).
        case header
        /// Pages past the first are overwritten (`SQLITE_CORRUPT`).
        case pages

        func apply(to file: String) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            defer { try? handle.close() }
            switch self {
            case .header:
                try handle.write(contentsOf: Data(repeating: 0x5A, count: 100))
            case .pages:
                try handle.seek(toOffset: UInt64(2 * SearchIndexSchema.pageSize))
                try handle.write(contentsOf: Data(repeating: 0xA5, count: 4 * SearchIndexSchema.pageSize))
            }
        }
    }

    /// Stores a message with the word "zebra" in a new store at `path`, waits until it is searchable, and
    /// closes the store, leaving an index that holds it.
    private static func storeZebraAndClose(at path: String) async throws -> MessageSummary {
        let store = try SQLiteStore(configuration: .init(path: path))
        let stored = try await storeSearchable([incoming("Subject: zebra crossing\r\n\r\nstriped\r\n")], in: store)
        try await store.close()
        return try #require(stored.first)
    }

    /// The ids a search for "zebra" finds, once it finds `count` of them (a rebuild runs behind the start),
    /// or whatever it finds after ten seconds.
    private static func zebras(in store: SQLiteStore, count: Int) async throws -> Set<String> {
        let zebra = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "zebra"))
        let deadline = ContinuousClock.now + .seconds(10)
        var found: Set<String> = []
        while found.count < count && ContinuousClock.now < deadline {
            found = Set(try await store.messages(zebra).messages.map(\.id))
            if found.count < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        return found
    }

    /// A damaged index holds only derived data: Mailpen starts anyway, keeps the damaged file aside and
    /// rebuilds the index from the messages.
    @Test(arguments: IndexDamage.allCases)
    func aDamagedIndexIsRebuiltFromTheMessages(damage: IndexDamage) async throws {
        try await withDatabasePath { path in
            let stored = try await Self.storeZebraAndClose(at: path)
            try damage.apply(to: path + "-search")

            let reopened = try SQLiteStore(configuration: .init(path: path))
            #expect(try await Self.zebras(in: reopened, count: 1) == [stored.id])
            #expect(FileManager.default.fileExists(atPath: path + "-search.damaged"))
            try await reopened.close()
        }
    }

    /// Damage that start-up does not read (here the header table's root page, which only indexing reaches)
    /// is found by the next indexing run: the index is emptied and rebuilt from the messages, instead of
    /// the run failing and retrying for as long as Mailpen runs.
    @Test func damageFoundWhileRunningRebuildsTheIndex() async throws {
        try await withDatabasePath { path in
            let old = try await Self.storeZebraAndClose(at: path)
            let index = try DatabaseQueue(path: path + "-search")
            let (root, pageSize) = try await index.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'message_header'") ?? 0,
                    try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
                )
            }
            try index.close()
            let handle = try #require(FileHandle(forUpdatingAtPath: path + "-search"))
            try handle.seek(toOffset: UInt64((root - 1) * pageSize))
            try handle.write(contentsOf: Data(repeating: 0xA5, count: pageSize))
            try handle.close()

            let reopened = try SQLiteStore(configuration: .init(path: path))
            let new = try await reopened.store(incoming("Subject: zebra again\r\n\r\nstriped\r\n"))
            #expect(try await Self.zebras(in: reopened, count: 2) == [old.id, new.id])
            // Found by the indexing run, not by the start-up (which would have moved the file aside).
            #expect(!FileManager.default.fileExists(atPath: path + "-search.damaged"))
            try await reopened.close()
        }
    }

    /// Points the header table at another table's root page through a second connection, as a damaged
    /// page would: the indexer's next insert there finds the index corrupt.
    private static func breakHeaderTable(of path: String) throws {
        let index = try DatabaseQueue(path: path + "-search")
        try index.writeWithoutTransaction { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
            let other = try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'index_state'") ?? 2
            try db.execute(sql: "PRAGMA writable_schema = ON")
            try db.execute(
                sql: "UPDATE sqlite_master SET rootpage = ? WHERE name = 'message_header'", arguments: [other])
            try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
            try db.execute(sql: "PRAGMA writable_schema = OFF")
        }
        try index.close()
    }

    /// Damage found while running is repaired once a run: damage that comes back (a failing disk) makes the
    /// indexer retry and say so, not empty and rebuild the index again and again.
    @Test func damageFoundTwiceInARunRebuildsTheIndexOnce() async throws {
        try await withDatabasePath { path in
            let lines = LoggedLines(minimumLevel: .warning)
            let store = try SQLiteStore(configuration: .init(path: path), logger: lines.logger)
            let first = try #require(
                try await storeSearchable([incoming("Subject: zebra one\r\n\r\nstriped\r\n")], in: store).first)

            try Self.breakHeaderTable(of: path)
            let second = try await store.store(incoming("Subject: zebra two\r\n\r\nstriped\r\n"))
            #expect(try await Self.zebras(in: store, count: 2) == [first.id, second.id])
            #expect(lines.containing("is damaged").count == 1)

            try Self.breakHeaderTable(of: path)
            _ = try await store.store(incoming("Subject: zebra three\r\n\r\nstriped\r\n"))
            let deadline = ContinuousClock.now + .seconds(10)
            while lines.containing("search indexing failed").isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!lines.containing("search indexing failed").isEmpty)
            #expect(lines.containing("is damaged").count == 1)
            try await store.close()
        }
    }

    /// FTS5's automatic merging runs inside the inserting transaction and stalls a waiting test's wake-up
    /// now and then: a trickle of mail is indexed without it, also after a burst left it on and Mailpen
    /// stopped.
    @Test func indexesATrickleWithoutAutomaticMerging() async throws {
        try await withStore { store, path in
            let searchable = await store.indexed.subscribe()
            _ = try await store.store(incoming(StoreTests.sampleMessage))
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

    @Test func theIndexerCutsBatchesByBytesAndLosesNothing() async throws {
        try await withDatabasePath { path in
            var configuration = SQLiteStore.Configuration(path: path)
            configuration.indexBatchBytes = 1
            let store = try SQLiteStore(configuration: configuration)
            let events = await store.indexed.subscribe()
            var stored: [String] = []
            for index in 0..<5 {
                stored.append(try await store.store(incoming("Subject: batch \(index)\r\n\r\nneedle\r\n")).id)
            }
            var announced: [[String]] = []
            for try await event in events {
                announced.append(event.ids)
                if announced.flatMap({ $0 }).count == 5 { break }
            }
            // One message a batch: each is announced on its own, and every one is found.
            #expect(announced.allSatisfy { $0.count == 1 })
            #expect(Set(announced.flatMap { $0 }) == Set(stored))
            let page = try await store.messages(
                MessageQuery(inbox: "default", search: try SearchQuery(parsing: "needle")))
            #expect(page.total == 5)
            try await store.close()
        }
    }

    @Test func rawBytesAreKeptOutOfTheMessageTable() async throws {
        try await withStore { store, path in
            _ = try await store.store(incoming(StoreTests.sampleMessage))
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
