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
/// Each batch's transaction is the one statement of ``BatchInsert`` (which also takes the batch's time and
/// message numbers from the server), committing on its own, when the writer knows every inbox of the batch
/// and none can pass its limit; an explicit one otherwise, which looks inboxes up, creates them and prunes.
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
    /// Keeps postgres-nio's calls of the writer's batches on the loop (see ``EventLoopTaskExecutor``).
    private nonisolated let taskExecutor: EventLoopTaskExecutor
    private let connector: @Sendable (any EventLoop) async throws -> PostgresConnection
    /// Publishes committed changes on this node's feeds.
    private let publish: @Sendable ([StoreEvent]) -> Void
    private let retention: RetentionDefaults
    private let node: String
    private let logger: Logger
    private let batchLimits = CommitBatchLimits()
    /// The writer's connection, watched for its closing.
    private var watched: ClosingWatch?
    private var pending: [Pending] = []
    private var isRunning = false
    private var isClosed = false
    /// Inboxes by lower-cased name, so that a batch needs no lookups; emptied by every change of an inbox,
    /// here or on another node.
    private var inboxCache: [String: InboxReference] = [:]
    /// Recipient routes, loaded on first use; emptied with the inboxes.
    private var routeCache: RouteTable?
    /// Each inbox's message count and limit as this node's last batch for it left them: a batch that cannot
    /// take any of its inboxes over the limit needs no transaction. Emptied with the inboxes.
    private var inboxCounts: [Int64: (count: Int64, limit: Int64?)] = [:]
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
        taskExecutor = EventLoopTaskExecutor(loop)
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
                // Only the batch's statements prefer the loop: a task the commit's news starts (the indexer's)
                // would inherit a preference of the whole run, and the loop is the writer's alone.
                let rows = batch.map(\.row)
                let watch = try await currentConnection()
                let outcome = try await watch.run(on: taskExecutor) {
                    try await self.write(rows, over: watch.connection)
                }
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
                if PostgresFailure.isUnavailable(error) || watched?.connection.isClosed == true {
                    watched?.connection.closeInBackground()
                    watched = nil
                }
                logger.error("could not store \(batch.count) message(s): \(PostgresFailure.describe(error))")
                let failure = PostgresFailure.storeError(error)
                CommitWaiter.complete(batch.map { ($0.waiter, .failure(failure)) })
                return
            }
        }
    }

    // MARK: - The batch transaction

    private func currentConnection() async throws -> ClosingWatch {
        if let watched, !watched.connection.isClosed { return watched }
        watched = nil
        let fresh = ClosingWatch(try await connector(loop))
        watched = fresh
        return fresh
    }

    private func write(_ rows: [IncomingRow], over connection: PostgresConnection) async throws -> Outcome {
        if let targets = knownTargets(of: rows) {
            // The batch is one statement, which commits on its own: no BEGIN and COMMIT round trips.
            let (outcome, counted) = try await insert(rows, into: targets, after: [], on: connection)
            let over = counted.filter { $0.count > $0.limit && $0.limit > 0 }.map(\.inbox)
            guard !over.isEmpty else { return outcome }
            // Another node's mail took an inbox over its limit meanwhile: pruned in a transaction of its own,
            // whose failure leaves the stored batch stored (the next batch prunes).
            return Outcome(results: outcome.results, events: outcome.events + (await pruneAlone(over, on: connection)))
        }
        try await connection.run("BEGIN", logger: logger)
        do {
            let outcome = try await write(rows, on: connection)
            try await connection.run("COMMIT", logger: logger)
            return outcome
        } catch {
            if !connection.isClosed { _ = try? await connection.run("ROLLBACK", logger: logger) }
            throw error
        }
    }

    /// Each row's inbox when every one is known without a query and none of them can pass its limit with
    /// this batch, as far as this node knows; `nil` otherwise (the batch then runs in a transaction, which
    /// looks inboxes up, creates them and prunes as it goes).
    private func knownTargets(of rows: [IncomingRow]) -> [InboxReference]? {
        var targets: [InboxReference] = []
        var added: [Int64: Int64] = [:]
        for row in rows {
            if row.message.routesByRecipient, routeCache == nil { return nil }
            guard let target = cachedTarget(of: row, routes: routeCache ?? RouteTable()),
                let known = inboxCounts[target.id]
            else { return nil }
            added[target.id, default: 0] += 1
            let limit = known.limit ?? Int64(retention.maximumMessages)
            if limit > 0, known.count + (added[target.id] ?? 0) > limit { return nil }
            targets.append(target)
        }
        return targets
    }

    /// The inbox a row goes to as far as the caches know: the route its recipients match, else the inbox it
    /// names; `nil` when neither is cached.
    private func cachedTarget(of row: IncomingRow, routes: RouteTable) -> InboxReference? {
        if row.message.routesByRecipient, !routes.isEmpty, let routed = routes.inbox(for: row.message.recipients) {
            return routed
        }
        return inboxCache[row.message.inbox.lowercased()]
    }

    /// Deletes the oldest messages of `inboxes` beyond their limits, each inbox locked and its count read
    /// again first; returns the deletions. A failure is logged and left for a later batch.
    private func pruneAlone(_ inboxes: [InboxReference], on connection: PostgresConnection) async -> [StoreEvent] {
        var events: [StoreEvent] = []
        do {
            try await connection.run("BEGIN", logger: logger)
            for inbox in inboxes.sorted(by: { $0.id < $1.id }) {
                let rows = try await connection.query(
                    "SELECT message_count, max_messages FROM inbox WHERE id = \(inbox.id) FOR NO KEY UPDATE",
                    logger: logger)
                for try await (count, storedLimit) in rows.decode((Int64, Int64?).self) {
                    inboxCounts[inbox.id] = (count, storedLimit)
                    let limit = storedLimit ?? Int64(retention.maximumMessages)
                    guard limit > 0, count > limit else { continue }
                    let ids = try await deleteOldest(count - limit, of: inbox, on: connection)
                    guard !ids.isEmpty else { continue }
                    events.append(.deleted(inbox: inbox.name, ids: ids))
                    inboxCounts[inbox.id] = (count - Int64(ids.count), storedLimit)
                }
            }
            try await connection.run("COMMIT", logger: logger)
            return events
        } catch {
            if !connection.isClosed { _ = try? await connection.run("ROLLBACK", logger: logger) }
            logger.warning("could not prune inboxes over their limits: \(PostgresFailure.describe(error))")
            inboxCounts = [:]
            return []
        }
    }

    /// The batch's transaction, begun by the caller: looks up and creates inboxes, inserts, and prunes each
    /// inbox the batch took over its limit.
    private func write(_ rows: [IncomingRow], on connection: PostgresConnection) async throws -> Outcome {
        var events: [StoreEvent] = []
        let targets = try await resolveInboxes(rows, at: Date(), events: &events, on: connection)
        var (outcome, counted) = try await insert(rows, into: targets, after: events, on: connection)
        for inboxCount in counted {
            let limit = inboxCount.limit
            guard limit > 0, inboxCount.count > limit else { continue }
            let ids = try await deleteOldest(inboxCount.count - limit, of: inboxCount.inbox, on: connection)
            inboxCounts[inboxCount.inbox.id] = nil
            guard !ids.isEmpty else { continue }
            outcome.events.append(.deleted(inbox: inboxCount.inbox.name, ids: ids))
        }
        return outcome
    }

    /// Deletes the `count` oldest messages of `inbox` and tells the other nodes; returns the ids deleted.
    private func deleteOldest(_ count: Int64, of inbox: InboxReference, on connection: PostgresConnection)
        async throws -> [String]
    {
        let ids = try await PostgresRetention.deleteOldest(count, inboxID: inbox.id, on: connection, logger: logger)
        guard !ids.isEmpty else { return [] }
        try await PostgresNotifier.notify(
            StoreNotification.payloads(for: [.deleted(inbox: inbox.name, ids: ids)], node: node), on: connection,
            logger: logger)
        return ids
    }

    /// Inserts the rows whose inbox is known (the others fail with ``StoreError/inboxNotFound(_:)``), announcing
    /// them after `events`, the batch's changes so far; returns the outcome, `events` followed by the new
    /// messages', and each inbox's new count and limit (the store's default where the inbox has none), which it
    /// also remembers.
    private func insert(
        _ rows: [IncomingRow], into targets: [InboxReference?], after events: [StoreEvent],
        on connection: PostgresConnection
    ) async throws -> (Outcome, [(inbox: InboxReference, count: Int64, limit: Int64)]) {
        let stored: [BatchInsert.Entry] = zip(rows, targets).compactMap { row, inbox in inbox.map { (row, $0) } }
        var written = BatchInsert.Row(notificationsSent: 0, milliseconds: 0, ids: [], counted: [])
        if !stored.isEmpty {
            var added: [Int64: Int64] = [:]
            for entry in stored { added[entry.inbox.id, default: 0] += 1 }
            written = try await insert(
                stored, added: added, notifying: StoreNotification.payloads(for: events, node: node), on: connection)
        }
        var outcome = Outcome(results: [], events: events)
        var ids = written.ids.makeIterator()
        let receivedAt = Date(milliseconds: written.milliseconds)
        for (row, inbox) in zip(rows, targets) {
            guard let inbox, let id = ids.next() else {
                outcome.results.append(.failure(StoreError.inboxNotFound(row.message.inbox)))
                continue
            }
            let summary = row.message.summary(id: id, inbox: inbox.name, receivedAt: receivedAt)
            outcome.results.append(.success(summary))
            outcome.events.append(.stored(summary))
        }
        var counts: [(inbox: InboxReference, count: Int64, limit: Int64)] = []
        for (inboxID, count, limit) in written.counted {
            guard let inbox = stored.first(where: { $0.inbox.id == inboxID })?.inbox else { continue }
            inboxCounts[inboxID] = (count, limit)
            counts.append((inbox, count, limit ?? Int64(retention.maximumMessages)))
        }
        return (outcome, counts)
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
            if let cached = cachedTarget(of: row, routes: routes) {
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

    /// Inserts the rows with their bytes and search entries, adds them to their inboxes' counters and sends
    /// `payloads`, then the rows' own, in one prepared statement (``BatchInsert``); returns the batch's time in
    /// milliseconds, the rows' ids in their order, and each inbox's new count and limit.
    private func insert(
        _ stored: [BatchInsert.Entry], added: [Int64: Int64], notifying payloads: [String],
        on connection: PostgresConnection
    ) async throws -> BatchInsert.Row {
        let statement = try BatchInsert(stored, added: added, notifying: payloads, node: node)
        var written: BatchInsert.Row?
        for try await row in try await connection.execute(statement, logger: logger) { written = row }
        guard let written, written.counted.count == added.count, written.ids.count == stored.count else {
            throw StoreError.unavailable("an inbox of the batch disappeared while it was written")
        }
        return written
    }

    // MARK: - Caches

    /// Forgets the inboxes and routes it knows: an inbox changed, here or on another node.
    func forgetInboxes() {
        inboxCache = [:]
        routeCache = nil
        inboxCounts = [:]
    }

    /// Lets the queued messages be written, then refuses new ones and closes the connection.
    func close() async {
        while isRunning || !pending.isEmpty {
            try? await Task.sleep(for: .milliseconds(1))
        }
        isClosed = true
        if let watched { try? await watched.connection.close() }
        watched = nil
    }
}
