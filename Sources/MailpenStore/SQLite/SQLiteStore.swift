import Foundation
import GRDB
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Mailpen's durable storage: inboxes and captured messages in one SQLite file (WAL, versioned
/// migrations), with a change feed that tells the API and UI about every committed change.
///
/// Raw messages live in their own table and are read only when a single message's bytes are asked for;
/// everything a list shows is cached in columns at ingest.
public final class SQLiteStore: MailpenStore {
    /// Where the database lives and how it behaves.
    public struct Configuration: Sendable {
        /// The database file, or `:memory:` for a throw-away store.
        public var path: String
        /// Retention limits for inboxes without their own.
        public var retention: RetentionDefaults
        /// Whether each commit is flushed to disk before it is acknowledged (SQLite's `synchronous = FULL`),
        /// or only handed to the OS (`NORMAL`).
        public var durability: Durability
        /// From this offset on, a plain list's page is picked from the inbox's rows kept between requests
        /// (``InboxRows``) instead of by skipping entries of its index. Lowered by tests.
        var deepListOffset = 10_000
        /// Raw bytes the search indexer holds in memory for one batch at most (always at least one message).
        /// Lowered by tests.
        var indexBatchBytes = 64 * 1024 * 1024

        public init(
            path: String, retention: RetentionDefaults = .init(), durability: Durability = .full
        ) {
            self.path = path
            self.retention = retention
            self.durability = durability
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    /// Every committed change, for anyone who subscribes.
    let changes: ChangeFeed<StoreEvent>
    /// What the search index has taken in, for the waits (on the indexer's thread).
    let indexed: ChangeFeed<IndexedMessages>
    let database: any DatabaseWriter
    let writer: StoreWriter
    /// Advanced by the writer after each transaction: tells cached memberships when they are stale.
    let commits = CommitCounter()
    /// Inbox memberships read by recent searches, for the next ones.
    let memberships = MembershipCache()
    /// The rows of recently searched terms, brought up to date by each search that uses them.
    let termRows = TermRowsCache<TermRowsKey>()
    /// The rows of inboxes paged deep into their plain lists, for the next pages.
    let inboxRows = InboxRowsCache()
    /// Requests waiting for mail; the indexer does not merge while there are any.
    let waits = WaitCounter()
    /// The search index's own connection, unless it shares `database` (`:memory:` stores).
    private let searchDatabase: DatabaseQueue?
    private let checkpointer: IndexCheckpointer?
    let indexer: SearchIndexer
    /// Checks new messages for waiting requests, before the indexer has them (file databases only).
    let matcher: WaitMatcher?
    /// Four threads of the store's own: the writer's (SQLite writes block it, and nothing else), the
    /// search indexer's, the one that checkpoints the index's log, and the wait matcher's.
    private let threads: MultiThreadedEventLoopGroup
    private let isClosed = Atomic<Bool>(false)

    /// Opens (creating if needed) and migrates the database and its search index, and makes sure the
    /// `default` inbox exists. A file database keeps its index in a second file beside it (`<path>-search`).
    public convenience init(configuration: Configuration, logger: Logger = Logger(label: "mailpen.store")) throws {
        do {
            try self.init(opening: configuration, logger: logger)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: configuration.path, reason: Self.explain(error, path: configuration.path))
        }
    }

    /// Why a database could not be opened, in words that point at the fix.
    private static func explain(_ error: any Error, path: String) -> String {
        let reason = (error as? DatabaseError)?.message ?? "\(error)"
        let fileManager = FileManager.default
        let folder =
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        for candidate in [path, path + "-search", path + "-wal", path + "-shm"]
        where fileManager.fileExists(atPath: candidate) {
            if !fileManager.isWritableFile(atPath: candidate) { return "\(reason): \(candidate) is read-only" }
        }
        if !fileManager.isWritableFile(atPath: folder) { return "\(reason): the folder \(folder) is read-only" }
        return reason
    }

    private init(opening configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let isInMemory = configuration.path == ":memory:"
        let searchPath = configuration.path + "-search"
        let checkpointConnection: DatabaseQueue?
        var indexOptions = GRDB.Configuration()
        indexOptions.busyMode = .timeout(10)
        if !isInMemory {
            indexOptions.prepareDatabase { db in
                // Only a new file takes it: one made before keeps its pages, also through a rebuild for a new
                // index version, which drops and makes the tables in the same file.
                try db.execute(sql: "PRAGMA page_size = \(SearchIndexSchema.pageSize)")
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // The indexer checkpoints itself, after it has announced a batch (see SearchIndexer).
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                // A burst can grow the log by hundreds of megabytes; give the space back when it restarts.
                try db.execute(sql: "PRAGMA journal_size_limit = \(64 * 1024 * 1024)")
            }
            let index = try Self.openSearchIndex(at: searchPath, configuration: indexOptions, logger: logger)
            searchDatabase = index
            checkpointConnection = try DatabaseQueue(path: searchPath, configuration: indexOptions)
        } else {
            searchDatabase = nil
            checkpointConnection = nil
        }

        var options = GRDB.Configuration()
        options.foreignKeysEnabled = true
        options.busyMode = .timeout(10)
        let synchronous = configuration.durability == .full ? "FULL" : "NORMAL"
        options.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA cache_size = -16000")
            // Searches join the index, so readers attach it. The writer of a file database must not: a
            // write transaction locks every attached database, and the index has a writer of its own.
            if isInMemory || db.configuration.readonly {
                try db.execute(sql: "ATTACH DATABASE ? AS search", arguments: [isInMemory ? ":memory:" : searchPath])
                if isInMemory { try SearchIndexSchema.prepare(db, schema: "search.") }
                db.add(function: HeaderMatchFunction.function)
            }
        }
        if isInMemory {
            database = try DatabaseQueue(configuration: options)
        } else {
            options.maximumReaderCount = 4
            let pool = try DatabasePool(path: configuration.path, configuration: options)
            // GRDB sets `synchronous = NORMAL` on the writer after switching it to WAL, overriding
            // `prepareDatabase`: set it again, or commits would not be flushed before the 250.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(synchronous)") }
            database = pool
        }
        try StoreSchema.migrator.migrate(database)
        try database.write { db in
            if try InboxReference.find(Inbox.defaultName, in: db) == nil {
                _ = try InboxReference.create(Inbox.defaultName, password: Inbox.makePassword(), in: db, at: Date())
            }
        }
        // A thread each for the writer, the indexer, the index's checkpoints and the wait matcher.
        threads = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        let loops = Array(threads.makeIterator())
        let (writerLoop, indexerLoop, checkpointLoop, matcherLoop) = (loops[0], loops[1], loops[2], loops[3])
        do {
            matcher =
                isInMemory ? nil : try WaitMatcher(loop: matcherLoop, databasePath: configuration.path, logger: logger)
        } catch {
            logger.warning("waits will find new mail through the search index only: \(error)")
            matcher = nil
        }
        checkpointer = checkpointConnection.map {
            IndexCheckpointer(loop: checkpointLoop, connection: $0, logger: logger)
        }
        changes = ChangeFeed(loop: writerLoop)
        indexed = ChangeFeed(loop: indexerLoop)
        indexer = SearchIndexer(
            loop: indexerLoop, store: database, index: searchDatabase ?? database,
            indexSchema: isInMemory ? "search." : "", feed: indexed, checkpointer: checkpointer,
            waits: waits, maximumBatchBytes: configuration.indexBatchBytes, logger: logger)
        // The wait matcher first: it checks new mail for waiting requests while the replies go out.
        writer = StoreWriter(
            loop: writerLoop, database: database, commits: commits,
            listeners: (matcher.map { [$0] } ?? []) + [changes, indexer], handsOverNewMessages: matcher != nil,
            waits: waits, retention: configuration.retention, logger: logger)
        indexer.start()
    }

    /// Opens the search index, and makes a new one when the file is damaged: it holds only derived data,
    /// which the indexer rebuilds from the messages, and a damaged index must not keep Mailpen from starting.
    /// The damaged file is kept beside it (`<path>.damaged`, replacing an older one) for a bug report.
    private static func openSearchIndex(
        at path: String, configuration: GRDB.Configuration, logger: Logger
    ) throws -> DatabaseQueue {
        do {
            return try prepareSearchIndex(at: path, configuration: configuration)
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            let aside = path + ".damaged"
            logger.warning(
                "the search index \(path) is damaged (\(error.message ?? "\(error.resultCode)")): moved to \(aside); rebuilding it from the messages"
            )
            try moveAside(path, to: aside)
            return try prepareSearchIndex(at: path, configuration: configuration)
        }
    }

    private static func prepareSearchIndex(at path: String, configuration: GRDB.Configuration) throws -> DatabaseQueue {
        let index = try DatabaseQueue(path: path, configuration: configuration)
        do {
            try index.writeWithoutTransaction { try SearchIndexSchema.prepare($0, schema: "") }
            return index
        } catch {
            try? index.close()
            throw error
        }
    }

    /// Moves a closed database file and its log to `aside`; its shared-memory index describes the log, so it
    /// goes. A log left behind would be read into the new file of the same name.
    private static func moveAside(_ path: String, to aside: String) throws {
        let fileManager = FileManager.default
        for suffix in ["", "-wal", "-shm"] {
            try? fileManager.removeItem(atPath: aside + suffix)
        }
        try fileManager.moveItem(atPath: path, toPath: aside)
        if fileManager.fileExists(atPath: path + "-wal") {
            try fileManager.moveItem(atPath: path + "-wal", toPath: aside + "-wal")
        }
        if fileManager.fileExists(atPath: path + "-shm") { try fileManager.removeItem(atPath: path + "-shm") }
    }

    /// Closes the database after pending writes. The store is unusable afterwards.
    public func close() async throws {
        guard !isClosed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let statistics = await writer.statistics
        logger.info(
            "closing the database: \(statistics.messages) message(s) were written in \(statistics.batches) transaction(s)"
        )
        // Let work already queued on the store's threads finish before the databases go.
        await writer.flush()
        await indexer.stop()
        await changes.finish()
        await indexed.finish()
        // Waits end with the feed; let them, so that none reaches for the matcher's thread once it stops.
        await waits.untilEmpty(within: .seconds(5))
        try await threads.shutdownGracefully()
        try checkpointer?.close()
        try matcher?.close()
        if let searchDatabase { try await Self.emptyLogAndClose(searchDatabase) }
        if let pool = database as? DatabasePool {
            try await Self.emptyLogAndClose(pool)
        } else if let queue = database as? DatabaseQueue {
            try queue.close()
        }
    }

    /// Moves a file database's write-ahead log back into the file and closes it: a burst can leave hundreds
    /// of megabytes in a log, which the next run would otherwise keep until that database's next write.
    private static func emptyLogAndClose(_ database: some DatabaseWriter) async throws {
        _ = try await database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try database.close()
    }

    // MARK: - Ingest

    /// Parses and stores a message, returning once it is committed (batched with concurrent callers).
    public func store(_ message: IncomingMessage) async throws -> MessageSummary {
        try await writer.store(message, whileOpen: ensureOpen)
    }

    /// Parses a message on the calling thread and queues it for the next commit; the future completes on
    /// `eventLoop` once it is committed. For callers on an event loop (the SMTP server), which must not hop
    /// through Swift concurrency for every message.
    public func store(_ message: IncomingMessage, on eventLoop: any EventLoop) -> EventLoopFuture<MessageSummary> {
        writer.store(message, on: eventLoop, whileOpen: ensureOpen)
    }

    public func subscribe(
        bufferSize: Int, where isWanted: StoreEventFilter?
    ) async -> AsyncThrowingStream<StoreEvent, any Error> {
        await changes.subscribe(bufferSize: bufferSize, where: isWanted)
    }

    func ensureOpen() throws {
        if isClosed.load(ordering: .sequentiallyConsistent) { throw StoreError.closed }
    }

    /// Group-commit counters, for tests and benchmarks.
    var writerStatistics: WriterStatistics {
        get async { await writer.statistics }
    }
}
