import Foundation
import Logging
import MailpenStore
import NIOCore
import PostgresNIO

/// Stores new messages: they queue here and are committed together, one transaction per batch, on a
/// connection of the writer's own (group commit, as the SQLite store's writer does): while one batch is
/// being committed, the next gathers, so throughput grows with the number of concurrent senders while
/// every caller still waits for its own commit. A caller learns of its message only once PostgreSQL has
/// returned from the COMMIT, and of a failure (the server gone, say) as ``StoreError/unavailable(_:)``, which
/// SMTP answers with `451 4.3.0`: a message is never acknowledged unless it is stored.
///
/// Each batch takes its time and its message numbers from the server, in one round trip before its
/// transaction: one clock and one sequence for every node, so that ids never collide and sort by arrival
/// across nodes (``MessageIdentifierGenerator/identifier(milliseconds:sequence:)``).
actor PostgresWriter: GroupCommitWriter {
    private struct Pending {
        var row: IncomingRow
        var waiter: CommitWaiter
    }

    /// What a committed batch means for its callers and for everyone else.
    private struct Outcome {
        var results: [Result<MessageSummary, any Error>]
        var events: [StoreEvent]
    }

    nonisolated let loop: any EventLoop
    private let connector: @Sendable (any EventLoop) async throws -> PostgresConnection
    /// Publishes committed changes on this node's feeds.
    private let publish: @Sendable ([StoreEvent]) -> Void
    private let retention: RetentionDefaults
    private let node: String
    private let logger: Logger
    private let batchLimits = CommitBatchLimits()
    private var connection: PostgresConnection?
    private var pending: [Pending] = []
    private var isRunning = false
    private var isClosed = false
    /// Inboxes by lower-cased name, so that a batch needs no lookups; emptied by every change of an inbox,
    /// here or on another node.
    private var inboxCache: [String: InboxReference] = [:]
    /// Recipient routes, loaded on first use; emptied with the inboxes.
    private var routeCache: RouteTable?
    /// Batches and messages committed, for logs and tests.
    private(set) var statistics = (batches: 0, messages: 0)

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    init(
        loop: any EventLoop, connector: @escaping @Sendable (any EventLoop) async throws -> PostgresConnection,
        publish: @escaping @Sendable ([StoreEvent]) -> Void, retention: RetentionDefaults, node: String,
        logger: Logger
    ) {
        self.loop = loop
        self.connector = connector
        self.publish = publish
        self.retention = retention
        self.node = node
        self.logger = logger
    }

    // MARK: - Queueing

    func enqueue(_ row: IncomingRow, for waiter: CommitWaiter) {
        guard !isClosed else {
            CommitWaiter.complete([(waiter, .failure(StoreError.closed))])
            return
        }
        pending.append(Pending(row: row, waiter: waiter))
        guard !isRunning else { return }
        isRunning = true
        // The task runs on the loop (this actor's executor) after the submissions already queued there, so
        // that they join this batch.
        Task { await self.run() }
    }

    /// Commits batches until nothing is pending.
    private func run() async {
        while !pending.isEmpty {
            let batch = batchLimits.takeBatch(from: &pending) { $0.row.message.size }
            await commit(batch)
        }
        isRunning = false
    }

    private func commit(_ batch: [Pending]) async {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let outcome = try await write(batch.map(\.row))
                statistics.batches += 1
                statistics.messages += batch.count
                // The events first: waits are checked while the replies go out.
                publish(outcome.events)
                CommitWaiter.complete(zip(batch.map(\.waiter), outcome.results))
                return
            } catch {
                forgetInboxes()
                // A deadlock or a serialization failure, or an inbox deleted by another node meanwhile:
                // nothing was stored, and the batch may simply be written again.
                if attempt < 3, PostgresFailure.isRetryable(error) || PostgresFailure.isForeignKeyViolation(error) {
                    logger.info("writing \(batch.count) message(s) again: \(PostgresFailure.describe(error))")
                    continue
                }
                if PostgresFailure.isUnavailable(error) || connection?.isClosed == true {
                    connection?.closeInBackground()
                    connection = nil
                }
                logger.error("could not store \(batch.count) message(s): \(PostgresFailure.describe(error))")
                let failure = PostgresFailure.storeError(error)
                CommitWaiter.complete(batch.map { ($0.waiter, .failure(failure)) })
                return
            }
        }
    }

    // MARK: - The batch transaction

    private func currentConnection() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        let fresh = try await connector(loop)
        connection = fresh
        return fresh
    }

    private func write(_ rows: [IncomingRow]) async throws -> Outcome {
        let connection = try await currentConnection()
        let (now, numbers) = try await allocate(rows.count, on: connection)
        try await connection.run("BEGIN", logger: logger)
        do {
            let outcome = try await write(rows, at: now, numbers: numbers, on: connection)
            try await connection.run("COMMIT", logger: logger)
            return outcome
        } catch {
            if !connection.isClosed { _ = try? await connection.run("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// The server's time in milliseconds and `count` new message numbers.
    private func allocate(_ count: Int, on connection: PostgresConnection) async throws -> (Int64, [Int64]) {
        let rows = try await connection.query(
            """
            SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::int8,
                ARRAY(SELECT nextval('message_seq') FROM generate_series(1, \(Int64(count))))
            """, logger: logger)
        for try await (now, numbers) in rows.decode((Int64, [Int64]).self) {
            guard numbers.count == count else { break }
            return (now, numbers)
        }
        throw StoreError.unavailable("the database gave no message numbers")
    }

    private func write(
        _ rows: [IncomingRow], at now: Int64, numbers: [Int64], on connection: PostgresConnection
    ) async throws -> Outcome {
        var events: [StoreEvent] = []
        let targets = try await resolveInboxes(rows, at: Date(milliseconds: now), events: &events, on: connection)
        var results: [Result<MessageSummary, any Error>] = []
        var stored: [(row: IncomingRow, seq: Int64, id: String, inbox: InboxReference)] = []
        for (index, row) in rows.enumerated() {
            guard let inbox = targets[index] else {
                results.append(.failure(StoreError.inboxNotFound(row.message.inbox)))
                continue
            }
            let seq = numbers[index]
            let id = MessageIdentifierGenerator.identifier(milliseconds: UInt64(max(0, now)), sequence: UInt64(seq))
            stored.append((row, seq, id, inbox))
            let summary = row.message.summary(id: id, inbox: inbox.name, receivedAt: Date(milliseconds: now))
            results.append(.success(summary))
            events.append(.stored(summary))
        }
        guard !stored.isEmpty else { return Outcome(results: results, events: events) }
        var added: [Int64: Int64] = [:]
        for entry in stored { added[entry.inbox.id, default: 0] += 1 }
        let counted = try await insert(
            stored, at: now, added: added,
            notifying: StoreNotification.payloads(for: events, node: node), on: connection)
        for (inboxID, count, limit) in counted {
            let limit = limit ?? Int64(retention.maximumMessages)
            guard limit > 0, count > limit, let inbox = stored.first(where: { $0.inbox.id == inboxID })?.inbox
            else { continue }
            let ids = try await PostgresRetention.deleteOldest(
                count - limit, inboxID: inboxID, on: connection, logger: logger)
            guard !ids.isEmpty else { continue }
            let event = StoreEvent.deleted(inbox: inbox.name, ids: ids)
            try await PostgresNotifier.notify(
                StoreNotification.payloads(for: [event], node: node), on: connection, logger: logger)
            events.append(event)
        }
        return Outcome(results: results, events: events)
    }

    /// The inbox of each row (`nil` where it does not exist and may not be created); creates inboxes as the
    /// rows allow, announcing them in `events`.
    private func resolveInboxes(
        _ rows: [IncomingRow], at now: Date, events: inout [StoreEvent], on connection: PostgresConnection
    ) async throws -> [InboxReference?] {
        if routeCache == nil, rows.contains(where: \.message.routesByRecipient) {
            routeCache = try await PostgresInboxes.routes(on: connection, logger: logger)
        }
        let routes = routeCache ?? RouteTable()
        var targets: [InboxReference?] = Array(repeating: nil, count: rows.count)
        var missing: [Int] = []
        for (index, row) in rows.enumerated() {
            if row.message.routesByRecipient, !routes.isEmpty, let routed = routes.inbox(for: row.message.recipients) {
                targets[index] = routed
            } else if let cached = inboxCache[row.message.inbox.lowercased()] {
                targets[index] = cached
            } else {
                missing.append(index)
            }
        }
        guard !missing.isEmpty else { return targets }
        let keys = Array(Set(missing.map { rows[$0].message.inbox.lowercased() }))
        for inbox in try await PostgresInboxes.find(keys, on: connection, logger: logger) {
            inboxCache[inbox.name.lowercased()] = inbox
        }
        for index in missing {
            let row = rows[index]
            let key = row.message.inbox.lowercased()
            if inboxCache[key] == nil, let password = row.message.inboxCreation.password() {
                let (inbox, created) = try await PostgresInboxes.create(
                    row.message.inbox, password: password, at: now, on: connection, logger: logger)
                inboxCache[key] = inbox
                if created { events.append(.inbox(name: inbox.name, change: .created)) }
            }
            targets[index] = inboxCache[key]
        }
        return targets
    }

    /// Inserts the rows with their bytes and search entries, adds them to their inboxes' counters (the
    /// inbox rows locked first, in id order, as every transaction here locks them) and sends `payloads`,
    /// all in one statement; returns each inbox's new count and limit.
    private func insert(
        _ stored: [(row: IncomingRow, seq: Int64, id: String, inbox: InboxReference)], at now: Int64,
        added: [Int64: Int64], notifying payloads: [String], on connection: PostgresConnection
    ) async throws -> [(Int64, Int64, Int64?)] {
        var sql = SQLBuilder()
        let inboxIDs = added.keys.sorted()
        let counterIDs = try sql.bind(inboxIDs)
        let counts = try sql.bind(inboxIDs.map { added[$0] ?? 0 })
        let received = try sql.bind(now)
        func column<T: PostgresArrayEncodable & Sendable>(_ value: (IncomingRow) -> T?) throws -> String {
            try sql.bind(PostgresArray(stored.map { value($0.row) }))
        }
        let seqs = try sql.bind(stored.map(\.seq))
        let ids = try sql.bind(stored.map(\.id))
        let inboxes = try sql.bind(stored.map(\.inbox.id))
        let sizes = try column { Int64($0.message.size) }
        let attachments = try column { Int64($0.message.columns.attachmentCount) }
        let messageColumns = [
            try column { StoredText.cut($0.message.columns.envelope) },
            try column { StoredText.cut($0.message.columns.mailFrom) },
            try column { StoredText.cut($0.message.columns.recipients) },
            try column { StoredText.cut($0.message.columns.subject) },
            try column { StoredText.cut($0.message.columns.from) },
            try column { StoredText.cut($0.message.columns.to) },
            try column { StoredText.cut($0.message.columns.cc) },
            try column { StoredText.cut($0.message.columns.bcc) },
            try column { StoredText.cut($0.message.columns.replyTo) },
            try column { $0.message.columns.dateHeader },
            try column { StoredText.cut($0.message.columns.messageIDHeader) },
            try column { StoredText.cut($0.message.columns.snippet) },
        ]
        let raw = try column { $0.raw }
        let searchColumns = [
            try column { $0.words.vector },
            try column { $0.words.tokens },
            try column { $0.fields.from },
            try column { $0.fields.to },
            try column { $0.fields.cc },
            try column { $0.fields.bcc },
            try column { $0.fields.replyTo },
            try column { $0.fields.all },
            try column { $0.fields.recipients },
            try column { $0.fields.subject },
            try column { $0.fields.messageID },
            try column { $0.fields.headers },
        ]
        let notifications = try sql.bind(payloads)
        let channel = try sql.bind(StoreNotification.channel)
        let messageTypes = [
            "text", "text", "text", "text", "text", "text", "text", "text", "text", "int8", "text", "text",
        ]
        let searchTypes = ["tsvector"] + Array(repeating: "text", count: 11)
        func typed(_ placeholders: [String], _ types: [String]) -> String {
            zip(placeholders, types).map { "\($0)::\($1)[]" }.joined(separator: ", ")
        }
        let query = sql.query(
            """
            WITH locked AS (
                SELECT id FROM inbox WHERE id = ANY(\(counterIDs)::int8[]) ORDER BY id FOR NO KEY UPDATE
            ), counted AS (
                UPDATE inbox SET message_count = inbox.message_count + c.n, unread_count = inbox.unread_count + c.n
                FROM unnest(\(counterIDs)::int8[], \(counts)::int8[]) AS c (id, n)
                WHERE inbox.id = c.id AND inbox.id IN (SELECT id FROM locked)
                RETURNING inbox.id, inbox.message_count, inbox.max_messages
            ), stored AS (
                INSERT INTO message (seq, id, inbox_id, received_at, size, attachment_count, envelope, mail_from,
                    recipients, subject, from_list, to_list, cc_list, bcc_list, reply_to_list, date_header,
                    message_id_header, snippet)
                SELECT u.seq, u.id, u.inbox_id, \(received), u.size, u.attachments, u.envelope, u.mail_from,
                    u.recipients, u.subject, u.from_list, u.to_list, u.cc_list, u.bcc_list, u.reply_to_list,
                    u.date_header, u.message_id_header, u.snippet
                FROM unnest(\(seqs)::int8[], \(ids)::text[], \(inboxes)::int8[], \(sizes)::int8[],
                    \(attachments)::int8[], \(typed(messageColumns, messageTypes)))
                    AS u (seq, id, inbox_id, size, attachments, envelope, mail_from, recipients, subject, from_list,
                        to_list, cc_list, bcc_list, reply_to_list, date_header, message_id_header, snippet)
            ), bytes AS (
                INSERT INTO message_raw (seq, raw) SELECT * FROM unnest(\(seqs)::int8[], \(raw)::bytea[])
            ), searchable AS (
                INSERT INTO message_search (seq, inbox_id, id, received_at, size, attachment_count, words, tokens,
                    addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, addr_all, rcpt, subject, message_id,
                    headers)
                SELECT u.seq, u.inbox_id, u.id, \(received), u.size, u.attachments, u.words, u.tokens, u.addr_from,
                    u.addr_to, u.addr_cc, u.addr_bcc, u.addr_reply_to, u.addr_all, u.rcpt, u.subject, u.message_id,
                    u.headers
                FROM unnest(\(seqs)::int8[], \(ids)::text[], \(inboxes)::int8[], \(sizes)::int8[],
                    \(attachments)::int8[], \(typed(searchColumns, searchTypes)))
                    AS u (seq, id, inbox_id, size, attachments, words, tokens, addr_from, addr_to, addr_cc,
                        addr_bcc, addr_reply_to, addr_all, rcpt, subject, message_id, headers)
            ), notified AS (
                SELECT count(pg_notify(\(channel), p)) AS sent FROM unnest(\(notifications)::text[]) AS p
            )
            SELECT c.id, c.message_count, c.max_messages, (SELECT sent FROM notified) FROM counted c
            """)
        var counted: [(Int64, Int64, Int64?)] = []
        for try await (id, count, limit, _) in try await connection.query(query, logger: logger)
            .decode((Int64, Int64, Int64?, Int64).self)
        {
            counted.append((id, count, limit))
        }
        guard counted.count == inboxIDs.count else {
            throw StoreError.unavailable("an inbox of the batch disappeared while it was written")
        }
        return counted
    }

    // MARK: - Caches

    /// Forgets the inboxes and routes it knows: an inbox changed, here or on another node.
    func forgetInboxes() {
        inboxCache = [:]
        routeCache = nil
    }

    /// Lets the queued messages be written, then refuses new ones and closes the connection.
    func close() async {
        while isRunning || !pending.isEmpty {
            try? await Task.sleep(for: .milliseconds(1))
        }
        isClosed = true
        if let connection { try? await connection.close() }
        connection = nil
    }
}
