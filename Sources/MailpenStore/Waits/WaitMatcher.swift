import Foundation
import GRDB
import Logging
import NIOCore

/// Checks each batch of just-committed messages against the queries of the requests waiting for mail, the
/// moment the writer hands the batch over, and tells each wait what it found: a wait is woken without
/// waiting for the search indexer's next run, and without a hop of its own to ask.
///
/// The check is the same SQL over the same FTS5 tables as any search, in an attached in-memory database
/// named `search` that holds only the batch being checked: the messages are indexed in a transaction that
/// is rolled back once every wait has been checked. So a lookup never reads more than one small segment,
/// and nothing is left to merge or trim. The connection reads the main database file (for the `message`
/// and `inbox` rows the query joins) and writes only the in-memory database, so it never takes the main
/// file's write lock. The writer hands over no message larger than ``largestMessage``; a wait falls back
/// to the search index for those, and for any batch whose check fails.
actor WaitMatcher: CommitListener {
    /// A committed message, as the writer hands it over.
    struct Entry: Sendable {
        var seq: Int64
        var id: String
        var inbox: String
        var raw: Data
        var recipients: String
    }

    /// What one batch meant for one wait: the ids of the messages of its inbox that were checked, and the
    /// summaries of those that match its query.
    struct Arrival: Sendable {
        var checked: [String]
        var matching: [MessageSummary]
    }

    /// Identifies a registered wait, to unregister it.
    struct Registration: Hashable, Sendable {
        fileprivate let number: Int
    }

    private struct Wait {
        var query: MessageQuery
        var deliver: @Sendable (Arrival) -> Void
    }

    private let loop: any EventLoop
    private let connection: DatabaseQueue
    private let logger: Logger
    private var waits: [Registration: Wait] = [:]
    private var nextNumber = 0
    /// Batches checked since the kept statements were last dropped.
    private var checksSinceRelease = 0
    /// Each wait's query keeps a prepared statement (one per shape of query, shared by the waits of that
    /// shape, and by the next wait of a CI job); they are dropped this often, so that the shapes a
    /// long-running server sees do not pile up.
    private static let checksBetweenReleases = 256
    static let largestMessage = 256 * 1024

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    init(loop: any EventLoop, databasePath: String, logger: Logger) throws {
        var options = GRDB.Configuration()
        options.busyMode = .timeout(10)
        options.prepareDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ':memory:' AS search")
            try SearchIndexSchema.prepare(db, schema: "search.")
            db.add(function: HeaderMatchFunction.function)
        }
        self.loop = loop
        self.connection = try DatabaseQueue(path: databasePath, configuration: options)
        self.logger = logger
    }

    /// Checks the batches the writer hands over from now on against `query` (while any wait is counted,
    /// see ``WaitCounter``), handing `deliver` what each holds for it, on the matcher's thread, until
    /// ``unregister(_:)``.
    func register(_ query: MessageQuery, deliver: @escaping @Sendable (Arrival) -> Void) -> Registration {
        let registration = Registration(number: nextNumber)
        nextNumber += 1
        waits[registration] = Wait(query: query, deliver: deliver)
        return registration
    }

    nonisolated func unregister(_ registration: Registration) {
        loop.execute {
            self.assumeIsolated { $0.waits[registration] = nil }
        }
    }

    /// The number of registered waits (for tests).
    var registeredCount: Int { waits.count }

    /// The number of messages in the in-memory index between batches (for tests): none.
    func indexedCount() throws -> Int {
        try connection.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM search.\(SearchIndexSchema.textTable)") ?? 0
        }
    }

    nonisolated func committed(_ commit: Commit) {
        add(commit.newMessages)
    }

    /// Checks committed messages against the registered waits, on the matcher's thread.
    nonisolated func add(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        loop.execute {
            self.assumeIsolated { $0.check(entries) }
        }
    }

    private func check(_ entries: [Entry]) {
        // Each interested wait with the messages of its inbox and their range of row ids (one commit gives out
        // consecutive ones). The range may hold messages not handed over (too large, so not indexed here):
        // those are dropped from the matches, since a negated word, say, would match them wrongly.
        let interested: [(wait: Wait, ids: [String], rows: ClosedRange<Int64>)] = waits.values.compactMap { wait in
            let mine = entries.filter { $0.inbox.caseInsensitiveCompare(wait.query.inbox) == .orderedSame }
            guard let first = mine.first?.seq, let last = mine.last?.seq else { return nil }
            return (wait, mine.map(\.id), min(first, last)...max(first, last))
        }
        guard !interested.isEmpty else { return }
        let wanted = Set(interested.flatMap(\.ids))
        let documents = entries.filter { wanted.contains($0.id) }.map {
            SearchDocument(seq: $0.seq, raw: [UInt8]($0.raw), recipients: $0.recipients)
        }
        var arrivals: [(Wait, Arrival)] = []
        do {
            // Deferred: only `search` is written, so only it is locked; an immediate transaction would lock
            // every attached database, the main file too, and stall the writer. Rolled back: the index is
            // empty again for the next batch.
            try connection.inTransaction(.deferred) { db in
                for document in documents { try document.insert(into: db, schema: "search.") }
                for (wait, ids, rows) in interested {
                    // SQLite rolls back by itself after some errors: the rest are then not checked at all.
                    guard db.isInsideTransaction else { break }
                    do {
                        let checked = Set(ids)
                        let matching = try MessageSQL.summaries(matching: wait.query, inRows: rows, in: db)
                            .filter { checked.contains($0.id) }
                        arrivals.append((wait, Arrival(checked: ids, matching: matching)))
                    } catch {
                        // That wait finds these messages through the search index instead.
                        logger.warning("could not check new messages for a waiting request: \(error)")
                    }
                }
                return .rollback
            }
        } catch {
            logger.warning("could not check new messages for waiting requests: \(error)")
            return
        }
        for (wait, arrival) in arrivals { wait.deliver(arrival) }
        checksSinceRelease += 1
        if checksSinceRelease >= Self.checksBetweenReleases { releaseStatements() }
    }

    private func releaseStatements() {
        checksSinceRelease = 0
        connection.releaseMemory()
    }

    /// Closes the connection; call once the loop has stopped.
    nonisolated func close() throws {
        try connection.close()
    }
}
