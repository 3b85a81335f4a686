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
public final class MailpenStore: Sendable {
    /// Where the database lives and how it behaves.
    public struct Configuration: Sendable {
        /// The database file, or `:memory:` for a throw-away store.
        public var path: String
        /// Retention limits for inboxes without their own.
        public var retention: RetentionDefaults
        /// Whether each commit is flushed to disk before it is acknowledged (`FULL`), surviving power loss,
        /// or only handed to the OS (`NORMAL`), surviving a crash of Mailpen but not of the machine.
        public var synchronousFull: Bool

        public init(path: String, retention: RetentionDefaults = .init(), synchronousFull: Bool = true) {
            self.path = path
            self.retention = retention
            self.synchronousFull = synchronousFull
        }
    }

    public let configuration: Configuration
    private let logger: Logger
    /// Every committed change, for anyone who subscribes.
    public let changes: ChangeFeed
    let database: any DatabaseWriter
    private let writer: StoreWriter
    /// The writer's own thread: SQLite writes block it, and nothing else.
    private let writerThread: MultiThreadedEventLoopGroup
    private let isClosed = Atomic<Bool>(false)

    /// Opens (creating if needed) and migrates the database, and makes sure the `default` inbox exists.
    public init(configuration: Configuration, logger: Logger = Logger(label: "mailpen.store")) throws {
        self.configuration = configuration
        self.logger = logger
        var options = GRDB.Configuration()
        options.foreignKeysEnabled = true
        options.busyMode = .timeout(10)
        let synchronous = configuration.synchronousFull ? "FULL" : "NORMAL"
        options.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA cache_size = -16000")
        }
        if configuration.path == ":memory:" {
            database = try DatabaseQueue(configuration: options)
        } else {
            options.maximumReaderCount = 4
            database = try DatabasePool(path: configuration.path, configuration: options)
        }
        try StoreSchema.migrator.migrate(database)
        try database.write { db in
            if try InboxReference.find(Inbox.defaultName, in: db) == nil {
                _ = try InboxReference.create(Inbox.defaultName, password: Inbox.makePassword(), in: db, at: Date())
            }
        }
        writerThread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = writerThread.next()
        changes = ChangeFeed(loop: loop)
        writer = StoreWriter(
            loop: loop, database: database, feed: changes,
            retention: configuration.retention, logger: logger)
    }

    /// Closes the database after pending writes. The store is unusable afterwards.
    public func close() async throws {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let statistics = await writer.statistics
        logger.info("closing the database: \(statistics.messages) message(s) were written in \(statistics.batches) transaction(s)")
        await changes.finish()
        // Let submissions already queued on the writer's thread finish before the database goes.
        try await writerThread.next().submit {}.get()
        try await writerThread.shutdownGracefully()
        if let pool = database as? DatabasePool {
            _ = try await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
            try pool.close()
        } else if let queue = database as? DatabaseQueue {
            try queue.close()
        }
    }

    // MARK: - Ingest

    /// Parses and stores a message, returning once it is committed (batched with concurrent callers).
    public func store(_ message: IncomingMessage) async throws -> MessageSummary {
        try ensureOpen()
        guard Inbox.isValidName(message.inbox) else { throw StoreError.invalidInboxName(message.inbox) }
        return try await writer.insert(PreparedMessage(message))
    }

    /// Parses a message on the calling thread and queues it for the next commit; the future completes on
    /// `eventLoop` once it is committed. For callers on an event loop (the SMTP server), which must not hop
    /// through Swift concurrency for every message.
    public func store(_ message: IncomingMessage, on eventLoop: any EventLoop) -> EventLoopFuture<MessageSummary> {
        if isClosed.load(ordering: .acquiring) { return eventLoop.makeFailedFuture(StoreError.closed) }
        guard Inbox.isValidName(message.inbox) else {
            return eventLoop.makeFailedFuture(StoreError.invalidInboxName(message.inbox))
        }
        let promise = eventLoop.makePromise(of: MessageSummary.self)
        writer.submit(PreparedMessage(message), promise: promise)
        return promise.futureResult
    }

    private func ensureOpen() throws {
        if isClosed.load(ordering: .acquiring) { throw StoreError.closed }
    }

    /// Group-commit counters, for tests and benchmarks.
    var writerStatistics: WriterStatistics {
        get async { await writer.statistics }
    }

    // MARK: - Inboxes

    private static let inboxColumns = """
        name, smtp_username, smtp_password, max_messages, max_age_seconds, created_at, message_count, unread_count
        """

    private static func decodeInbox(_ row: Row) -> Inbox {
        Inbox(
            name: row[0], smtpUsername: row[1], smtpPassword: row[2], maxMessages: row[3], maxAgeSeconds: row[4],
            createdAt: Date(milliseconds: row[5]), total: row[6], unread: row[7])
    }

    /// Every inbox, `default` first, then by name.
    public func inboxes() async throws -> [Inbox] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.inboxColumns) FROM inbox ORDER BY name <> 'default', name COLLATE NOCASE"
            ).map(Self.decodeInbox)
        }
    }

    /// The inbox with this name (case-insensitive), if any.
    public func inbox(named name: String) async throws -> Inbox? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.inboxColumns) FROM inbox WHERE name = ?", arguments: [name])
                .map(Self.decodeInbox)
        }
    }

    /// Creates an inbox; a missing password is generated.
    public func createInbox(
        named name: String, password: String? = nil, maxMessages: Int? = nil, maxAgeSeconds: Int? = nil
    ) async throws -> Inbox {
        guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
        let password = password ?? Inbox.makePassword()
        try ensureOpen()
        return try await writer.perform { db in
            if try InboxReference.find(name, in: db) != nil { throw StoreError.inboxExists(name) }
            _ = try InboxReference.create(
                name, password: password, maxMessages: maxMessages, maxAgeSeconds: maxAgeSeconds, in: db, at: Date())
            let row = try Row.fetchOne(db, sql: "SELECT \(Self.inboxColumns) FROM inbox WHERE name = ?", arguments: [name])
            guard let row else { throw StoreError.inboxNotFound(name) }
            return (Self.decodeInbox(row), [.inbox(name: name, change: .created)])
        }
    }

    /// A change to an inbox's settings; `nil` leaves a setting as it is, `.some(nil)` resets it to the default.
    public struct InboxUpdate: Sendable {
        public var password: String?
        public var maxMessages: Int??
        public var maxAgeSeconds: Int??

        public init(password: String? = nil, maxMessages: Int?? = nil, maxAgeSeconds: Int?? = nil) {
            self.password = password
            self.maxMessages = maxMessages
            self.maxAgeSeconds = maxAgeSeconds
        }
    }

    /// Changes an inbox's settings and applies its new retention limit at once.
    public func updateInbox(named name: String, _ update: InboxUpdate) async throws -> Inbox {
        let defaults = configuration.retention
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            if let password = update.password {
                try db.execute(sql: "UPDATE inbox SET smtp_password = ? WHERE id = ?", arguments: [password, inbox.id])
            }
            if let maxMessages = update.maxMessages {
                try db.execute(sql: "UPDATE inbox SET max_messages = ? WHERE id = ?", arguments: [maxMessages, inbox.id])
            }
            if let maxAge = update.maxAgeSeconds {
                try db.execute(sql: "UPDATE inbox SET max_age_seconds = ? WHERE id = ?", arguments: [maxAge, inbox.id])
            }
            var events: [StoreEvent] = [.inbox(name: inbox.name, change: .updated)]
            if let pruned = try Retention.pruneByCount(inboxID: inbox.id, defaultLimit: defaults.maxMessages, in: db) {
                events.append(pruned)
            }
            let row = try Row.fetchOne(db, sql: "SELECT \(Self.inboxColumns) FROM inbox WHERE id = ?", arguments: [inbox.id])
            guard let row else { throw StoreError.inboxNotFound(name) }
            return (Self.decodeInbox(row), events)
        }
    }

    /// Deletes an inbox with all its mail. `default` cannot be deleted.
    public func deleteInbox(named name: String) async throws {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            if inbox.name.lowercased() == Inbox.defaultName { throw StoreError.cannotDeleteDefaultInbox }
            try db.execute(sql: "DELETE FROM message WHERE inbox_id = ?", arguments: [inbox.id])
            try db.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [inbox.id])
            return ((), [.inbox(name: inbox.name, change: .deleted)])
        }
    }

    /// Deletes every message of an inbox; returns how many.
    @discardableResult
    public func clearInbox(named name: String) async throws -> Int {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            try db.execute(sql: "DELETE FROM message WHERE inbox_id = ?", arguments: [inbox.id])
            let count = db.changesCount
            try db.execute(sql: "UPDATE inbox SET message_count = 0, unread_count = 0 WHERE id = ?", arguments: [inbox.id])
            return (count, [.cleared(inbox: inbox.name)])
        }
    }

    // MARK: - Messages

    /// Summaries of an inbox's messages, newest first.
    public func summaries(inInbox name: String, limit: Int = 50, offset: Int = 0) async throws -> [MessageSummary] {
        try await database.read { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id
                    WHERE m.inbox_id = ? ORDER BY m.seq DESC LIMIT ? OFFSET ?
                    """,
                arguments: [inbox.id, limit, offset]
            ).map(SummaryRow.decode)
        }
    }

    /// One message's summary.
    public func summary(id: String) async throws -> MessageSummary? {
        try await database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?",
                arguments: [id]
            ).map(SummaryRow.decode)
        }
    }

    /// The exact bytes of a message as received.
    public func rawMessage(id: String) async throws -> [UInt8]? {
        try await database.read { db in
            let data = try Data.fetchOne(
                db,
                sql: "SELECT r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?",
                arguments: [id])
            return data.map { [UInt8]($0) }
        }
    }

    /// The envelope a message arrived with.
    public func envelope(id: String) async throws -> MessageEnvelope? {
        let json = try await database.read { db in
            try String.fetchOne(db, sql: "SELECT envelope FROM message WHERE id = ?", arguments: [id])
        }
        guard let json else { return nil }
        return try JSONDecoder().decode(MessageEnvelope.self, from: Data(json.utf8))
    }

    /// Deletes one message.
    public func deleteMessage(id: String) async throws {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inboxName = try String.fetchOne(
                db, sql: "SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?", arguments: [id])
            else { throw StoreError.messageNotFound(id) }
            let ids = try Retention.deleteMessages(db, where: "id = ?", arguments: [id])
            return ((), [.deleted(inbox: inboxName, ids: ids)])
        }
    }

    /// Marks a message read or unread.
    @discardableResult
    public func setRead(id: String, _ isRead: Bool) async throws -> MessageSummary {
        try ensureOpen()
        return try await writer.perform { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT inbox_id, is_read FROM message WHERE id = ?", arguments: [id])
            else { throw StoreError.messageNotFound(id) }
            let inboxID: Int64 = row[0]
            let wasRead: Bool = row[1]
            if wasRead != isRead {
                try db.execute(sql: "UPDATE message SET is_read = ? WHERE id = ?", arguments: [isRead, id])
                try db.execute(
                    sql: "UPDATE inbox SET unread_count = unread_count + ? WHERE id = ?",
                    arguments: [isRead ? -1 : 1, inboxID])
            }
            guard let summary = try Row.fetchOne(
                db,
                sql: "SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?",
                arguments: [id]
            ).map(SummaryRow.decode) else { throw StoreError.messageNotFound(id) }
            return (summary, wasRead == isRead ? [] : [.updated(summary)])
        }
    }

    /// Deletes messages older than the age limits; returns how many.
    @discardableResult
    public func pruneExpired(now: Date = Date()) async throws -> Int {
        let maxAge = configuration.retention.maxAgeSeconds
        try ensureOpen()
        return try await writer.perform { db in
            let events = try Retention.pruneByAge(defaultMaxAge: maxAge, now: now, in: db)
            let count = events.reduce(0) { total, event in
                if case .deleted(_, let ids) = event { return total + ids.count }
                return total
            }
            return (count, events)
        }
    }
}
