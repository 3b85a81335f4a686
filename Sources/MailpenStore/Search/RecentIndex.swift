import Foundation
import GRDB
import Logging
import NIOCore

/// A small full-text index of just-stored messages, filled only while requests wait for mail. A wait
/// checks each new message against its query here — the same SQL over the same FTS5 tables as the search
/// index, in memory — as soon as the message is committed: it does not wait for the indexer's next run, and
/// its lookups do not go through the segments of every older message.
///
/// Its connection reads the main database file (for the `message` and `inbox` rows the query joins) and
/// writes only to an attached in-memory database named `search`, so it never takes the main file's write
/// lock. It holds the last ``capacity`` messages, at most ``byteCapacity`` of them, and none larger than
/// ``largestMessage``; a wait falls back to the search index for any message it does not hold.
actor RecentIndex {
    /// A committed message, as the writer hands it over.
    struct Entry: Sendable {
        var seq: Int64
        var id: String
        var inbox: String
        var raw: Data
        var recipients: String
    }

    private let loop: any EventLoop
    private let connection: DatabaseQueue
    private let logger: Logger
    /// The messages held, oldest first: row id, message id, inbox and size.
    private var held: [(seq: Int64, id: String, inbox: String, size: Int)] = []
    private var heldBytes = 0
    static let capacity = 512
    static let byteCapacity = 8 * 1024 * 1024
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

    /// Indexes committed messages; a caller that then checks a wait (on this actor) finds them.
    nonisolated func add(_ entries: [Entry]) {
        guard !entries.isEmpty else { return }
        loop.execute {
            self.assumeIsolated { $0.index(entries) }
        }
    }

    private func index(_ entries: [Entry]) {
        // The newest that fit: a burst larger than the capacity keeps only its end.
        var entries = entries.filter { $0.raw.count <= Self.largestMessage }
        var count = held.count + entries.count
        var bytes = heldBytes + entries.reduce(0) { $0 + $1.raw.count }
        var overflow = 0
        while count > Self.capacity || bytes > Self.byteCapacity {
            if overflow < held.count {
                bytes -= held[overflow].size
                overflow += 1
            } else if !entries.isEmpty {
                bytes -= entries.removeFirst().raw.count
            } else {
                break
            }
            count -= 1
        }
        guard !entries.isEmpty else { return }
        let documents = entries.map { SearchDocument(seq: $0.seq, raw: [UInt8]($0.raw), recipients: $0.recipients) }
        let dropped = held.prefix(overflow).map(\.seq)
        do {
            // Deferred: only `search` is written, so only it is locked. An immediate transaction would lock
            // every attached database, the main file too, and stall the writer.
            try connection.inTransaction(.deferred) { db in
                for document in documents { try document.insert(into: db, schema: "search.") }
                try SearchIndexSchema.deleteEntries(of: dropped, in: db, schema: "search.")
                return .commit
            }
            held.removeFirst(overflow)
            held += entries.map { (seq: $0.seq, id: $0.id, inbox: $0.inbox, size: $0.raw.count) }
            heldBytes = bytes
        } catch {
            // The waits fall back to the search index for these messages.
            logger.warning("could not index new messages for waiting requests: \(error)")
        }
    }

    /// Forgets every message held: nobody waits any more.
    nonisolated func clear() {
        loop.execute {
            self.assumeIsolated { index in
                guard !index.held.isEmpty else { return }
                do {
                    let rows = index.held.map(\.seq)
                    try index.connection.inTransaction(.deferred) { db in
                        try SearchIndexSchema.deleteEntries(of: rows, in: db, schema: "search.")
                        return .commit
                    }
                    index.held = []
                    index.heldBytes = 0
                } catch {
                    index.logger.warning("could not clear the index of new messages: \(error)")
                }
            }
        }
    }

    /// Checks the held messages of the query's inbox that arrived after `afterID` (all when `nil`): returns
    /// the ids it checked and the summaries of those that match.
    func check(_ query: MessageQuery, after afterID: String?) throws -> (checked: [String], matching: [MessageSummary]) {
        let ids = held.filter { entry in
            entry.inbox.caseInsensitiveCompare(query.inbox) == .orderedSame && afterID.map { entry.id > $0 } ?? true
        }.map(\.id)
        guard !ids.isEmpty else { return ([], []) }
        let matching = try connection.read { db in
            try MailpenStore.summaries(matching: query, among: ids, in: db)
        }
        return (ids, matching)
    }

    /// Closes the connection; call once the loop has stopped.
    nonisolated func close() throws {
        try connection.close()
    }
}
