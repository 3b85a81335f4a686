import Foundation
import GRDB
import Logging
import NIOCore

/// The one place that changes the database. It runs on a thread of its own (a dedicated event loop),
/// where it writes synchronously. New messages queue here and are committed together (group commit):
/// while one transaction is being written, the next batch gathers, so throughput grows with the number of
/// concurrent senders while every caller still waits for its own commit.
actor StoreWriter: GroupCommitWriter {
    private struct Pending {
        var message: PreparedMessage
        var waiter: CommitWaiter
    }

    nonisolated let loop: any EventLoop
    private let database: any DatabaseWriter
    private let commits: CommitCounter
    /// Told of each commit, in this order.
    private let listeners: [any CommitListener]
    /// Whether commits carry their new messages of up to 256 KB, for the wait matcher, while requests
    /// wait for mail.
    private let handsOverNewMessages: Bool
    private let waits: WaitCounter
    private let retention: RetentionDefaults
    private let batchLimits = CommitBatchLimits()
    private var pending: [Pending] = []
    private var isDrainScheduled = false
    private var identifiers = MessageIdentifierGenerator()
    /// Inboxes by lower-cased name, so that a batch needs no lookups; emptied by every other change.
    private var inboxCache: [String: InboxReference] = [:]
    /// Recipient routes, loaded on first use; emptied by every other change.
    private var routeCache: RouteTable?
    /// Counters that show group commit at work.
    private(set) var statistics = WriterStatistics()
    private let logger: Logger

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    init(
        loop: any EventLoop, database: any DatabaseWriter, commits: CommitCounter, listeners: [any CommitListener],
        handsOverNewMessages: Bool, waits: WaitCounter, retention: RetentionDefaults, logger: Logger
    ) {
        self.listeners = listeners
        self.handsOverNewMessages = handsOverNewMessages
        self.waits = waits
        self.loop = loop
        self.database = database
        self.commits = commits
        self.retention = retention
        self.logger = logger
    }

    // MARK: - Messages

    func enqueue(_ message: PreparedMessage, for waiter: CommitWaiter) {
        pending.append(Pending(message: message, waiter: waiter))
        scheduleDrain()
    }

    /// Runs a drain after the submissions already queued on the loop, so that they join this batch.
    private func scheduleDrain() {
        guard !isDrainScheduled else { return }
        isDrainScheduled = true
        loop.execute {
            self.assumeIsolated { $0.drain() }
        }
    }

    private func drain() {
        isDrainScheduled = false
        let batch = batchLimits.takeBatch(from: &pending) { $0.message.size }
        if !pending.isEmpty { scheduleDrain() }
        guard !batch.isEmpty else { return }
        commit(batch)
    }

    private func commit(_ batch: [Pending]) {
        let messages = batch.map(\.message)
        var generator = identifiers
        var inboxes = inboxCache
        var routes = routeCache
        let retention = self.retention
        let collectsNew = handsOverNewMessages && !waits.isEmpty
        let results: [Result<MessageSummary, any Error>]
        var events: [StoreEvent] = []
        var newEntries: [WaitMatcher.Entry] = []
        do {
            defer { commits.advance() }
            let outcome = try BatchTransaction.write(database) { db in
                if routes == nil { routes = try RouteTable.load(db) }
                return try Self.insert(
                    messages, into: db, inboxes: &inboxes, routes: routes ?? RouteTable(), identifiers: &generator,
                    retention: retention, collectsNew: collectsNew)
            }
            identifiers = generator
            inboxCache = inboxes
            routeCache = routes
            statistics.batches += 1
            statistics.messages += batch.count
            results = outcome.results
            events = outcome.events
            newEntries = outcome.new
        } catch {
            logger.error("could not store \(batch.count) message(s): \(error)")
            results = Array(repeating: .failure(error), count: batch.count)
        }
        // The listeners first: the waits are checked while the replies go out.
        let commit = Commit(events: events, newMessages: newEntries)
        for listener in listeners { listener.committed(commit) }
        CommitWaiter.complete(zip(batch.map(\.waiter), results))
    }

    private struct BatchOutcome: Sendable {
        var results: [Result<MessageSummary, any Error>]
        var events: [StoreEvent]
        var new: [WaitMatcher.Entry]
    }

    private static func insert(
        _ messages: [PreparedMessage],
        into db: Database,
        inboxes: inout [String: InboxReference],
        routes: RouteTable,
        identifiers: inout MessageIdentifierGenerator,
        retention: RetentionDefaults,
        collectsNew: Bool
    ) throws -> BatchOutcome {
        var new: [WaitMatcher.Entry] = []
        var results: [Result<MessageSummary, any Error>] = []
        results.reserveCapacity(messages.count)
        var events: [StoreEvent] = []
        events.reserveCapacity(messages.count)
        var added: [Int64: Int] = [:]
        let now = Date()
        let receivedAt = now.milliseconds
        let insertMessage = try db.cachedStatement(
            sql: """
                INSERT INTO message (id, inbox_id, received_at, size, envelope, mail_from, recipients, subject,
                    from_list, to_list, cc_list, bcc_list, reply_to_list, date_header, message_id_header, snippet,
                    attachment_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let insertRaw = try db.cachedStatement(sql: "INSERT INTO message_raw (seq, raw) VALUES (?, ?)")

        func insert(_ message: PreparedMessage, into inbox: InboxReference) throws {
            let id = identifiers.next(at: now)
            let columns = message.columns
            var row = RawStatement(insertMessage)
            row.bind(id)
            row.bind(inbox.id)
            row.bind(receivedAt)
            row.bind(Int64(message.size))
            row.bind(columns.envelope)
            row.bind(columns.mailFrom)
            row.bind(columns.recipients)
            row.bind(columns.subject)
            row.bind(columns.from)
            row.bind(columns.to)
            row.bind(columns.cc)
            row.bind(columns.bcc)
            row.bind(columns.replyTo)
            row.bind(columns.dateHeader)
            row.bind(columns.messageIDHeader)
            row.bind(columns.snippet)
            row.bind(Int64(columns.attachmentCount))
            try row.execute(in: db)
            let seq = db.lastInsertedRowID
            var raw = RawStatement(insertRaw)
            raw.bind(seq)
            try raw.executeBinding(message.blob, in: db)
            if collectsNew, message.blob.count <= WaitMatcher.largestMessage {
                new.append(
                    WaitMatcher.Entry(
                        seq: seq, id: id, inbox: inbox.name, raw: message.blob, recipients: columns.recipients))
            }
            added[inbox.id, default: 0] += 1
            let summary = message.summary(id: id, inbox: inbox.name, receivedAt: Date(milliseconds: receivedAt))
            results.append(.success(summary))
            events.append(.stored(summary))
        }

        for message in messages {
            if message.routesByRecipient, !routes.isEmpty, let routed = routes.inbox(for: message.recipients) {
                try insert(message, into: routed)
                continue
            }
            let key = message.inbox.lowercased()
            var inbox = inboxes[key]
            if inbox == nil {
                inbox = try InboxReference.find(message.inbox, in: db)
                if inbox == nil, let password = message.inboxCreation.password() {
                    inbox = try InboxReference.create(message.inbox, password: password, in: db, at: now)
                    events.append(.inbox(name: message.inbox, change: .created))
                }
                inboxes[key] = inbox
            }
            guard let inbox else {
                results.append(.failure(StoreError.inboxNotFound(message.inbox)))
                continue
            }
            try insert(message, into: inbox)
        }

        for (inboxID, count) in added {
            if let pruned = try Retention.countNewMessages(
                count, inboxID: inboxID, defaultLimit: retention.maximumMessages, in: db)
            {
                events.append(pruned)
            }
        }
        return BatchOutcome(results: results, events: events, new: new)
    }

    // MARK: - Other changes

    /// Waits for the work queued so far.
    func flush() {}

    /// Runs a change in its own transaction and publishes the events it reports.
    func perform<T: Sendable>(_ change: @Sendable (Database) throws -> (T, [StoreEvent])) throws -> T {
        inboxCache = [:]
        routeCache = nil
        // Advanced before the events go out, so that a search they prompt does not reuse a stale membership.
        let outcome = Result { try database.write(change) }
        commits.advance()
        let (value, events) = try outcome.get()
        let commit = Commit(events: events)
        for listener in listeners { listener.committed(commit) }
        return value
    }
}
