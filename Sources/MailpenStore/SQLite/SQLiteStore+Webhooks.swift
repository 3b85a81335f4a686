import Foundation
import GRDB

/// The webhooks and their delivery queue in the same SQLite file as the messages. Every change goes
/// through the store's one writer, so a claim can never hand a delivery to two senders.
extension SQLiteStore: WebhookQueue {
    static let webhookDeliveryColumns = """
        id, inbox, url, event, body, secret, backoff_ms, status, attempts, last_status, last_error, \
        next_attempt_at, created_at, updated_at, history
        """

    /// Each URL's oldest unfinished delivery: the only one of the URL that may be sent. Read from the
    /// partial index of unfinished deliveries, in one pass.

    public func webhooks(inbox: String) async throws -> [Webhook] {
        try ensureOpen()
        return try await database.read { db in
            guard let reference = try InboxReference.find(inbox, in: db) else { throw StoreError.inboxNotFound(inbox) }
            return try Self.webhooks(inboxID: reference.id, in: db)
        }
    }

    public func setWebhooks(_ webhooks: [Webhook], inbox: String) async throws {
        try WebhookLimits.validate(webhooks)
        try ensureOpen()
        let now = Date()
        try await writer.perform { db in
            guard let reference = try InboxReference.find(inbox, in: db) else { throw StoreError.inboxNotFound(inbox) }
            try db.execute(sql: "DELETE FROM webhook WHERE inbox_id = ?", arguments: [reference.id])
            for (position, webhook) in webhooks.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO webhook (inbox_id, position, url, events, secret, backoff_ms)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        reference.id, position, webhook.url, WebhookRows.encode(webhook.events), webhook.secret,
                        webhook.backoffMilliseconds,
                    ])
            }
            // Deliveries for URLs the inbox no longer has stop here (one being sent finishes its attempt).
            let kept = webhooks.map(\.url)
            let placeholders =
                kept.isEmpty
                ? "" : "AND url NOT IN (\(Array(repeating: "?", count: kept.count).joined(separator: ", ")))"
            var arguments: StatementArguments = [now.milliseconds, WebhookRows.removedError, reference.name]
            arguments += StatementArguments(kept)
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET status = 'failed', next_attempt_at = NULL, updated_at = ?,
                        last_error = ?
                    WHERE inbox = ? AND status = 'queued' \(placeholders)
                    """,
                arguments: arguments)
            return ((), [.inbox(name: reference.name, change: .updated)])
        }
    }

    public func webhookSubscriptions() async throws -> [String: Set<Webhook.Event>] {
        try ensureOpen()
        return try await database.read { db in
            var subscriptions: [String: Set<Webhook.Event>] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT inbox.name, webhook.events FROM webhook JOIN inbox ON inbox.id = webhook.inbox_id")
            {
                subscriptions[row[0], default: []].formUnion(WebhookRows.decodeEvents(row[1]))
            }
            return subscriptions
        }
    }

    @discardableResult
    public func enqueueWebhookEvents(_ events: [WebhookEvent], at date: Date) async throws -> Int {
        try ensureOpen()
        guard !events.isEmpty else { return 0 }
        return try await writer.perform { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO webhook_delivery (id, inbox, url, event, event_key, body, secret, backoff_ms,
                        status, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                    """)
            var webhooksOf: [String: (name: String, webhooks: [Webhook])] = [:]
            var queued = 0
            for event in events {
                let key = event.inbox.lowercased()
                if webhooksOf[key] == nil {
                    if let reference = try InboxReference.find(event.inbox, in: db) {
                        webhooksOf[key] = (reference.name, try Self.webhooks(inboxID: reference.id, in: db))
                    } else {
                        webhooksOf[key] = (event.inbox, [])
                    }
                }
                guard let (inbox, webhooks) = webhooksOf[key] else { continue }
                for webhook in webhooks where webhook.events.contains(event.event) {
                    try insert.execute(arguments: [
                        WebhookRows.newID(), inbox, webhook.url, event.event.rawValue, event.key, event.body,
                        webhook.secret, webhook.backoffMilliseconds, date.milliseconds, date.milliseconds,
                        date.milliseconds,
                    ])
                    queued += db.changesCount
                }
            }
            return (queued, [])
        }
    }

    public func claimDueWebhookDeliveries(now: Date, limit: Int, share: WebhookShare) async throws
        -> [WebhookDelivery]
    {
        try ensureOpen()
        let limit = max(0, min(limit, WebhookLimits.maximumListing))
        return try await writer.perform { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE webhook_delivery SET status = 'sending', claimed_at = ?, updated_at = ?
                    WHERE seq IN (
                        SELECT seq FROM (
                            \(WebhookHeads.placedSQL)
                            WHERE (delivery.status = 'sending' AND delivery.claimed_at >= ?)
                                OR (delivery.status = 'queued' AND delivery.next_attempt_at <= ?))
                        WHERE status = 'queued' AND place <= ?
                        ORDER BY next_attempt_at, seq LIMIT ?)
                    RETURNING \(Self.webhookDeliveryColumns)
                    """,
                arguments: [
                    now.milliseconds, now.milliseconds, share.claimedSince.milliseconds, now.milliseconds,
                    share.perInbox, limit,
                ])
            let claimed = try rows.map(Self.decodeWebhookDelivery).sorted {
                ($0.nextAttemptAt ?? now, $0.createdAt) < ($1.nextAttemptAt ?? now, $1.createdAt)
            }
            return (claimed, [])
        }
    }

    public func recordWebhookAttempts(_ results: [WebhookAttemptResult]) async throws {
        try ensureOpen()
        guard !results.isEmpty else { return }
        try await writer.perform { db in
            let select = try db.cachedStatement(sql: "SELECT history FROM webhook_delivery WHERE id = ?")
            let update = try db.cachedStatement(
                sql: """
                    UPDATE webhook_delivery SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
                        next_attempt_at = ?, updated_at = ?, history = ?
                    WHERE id = ?
                    """)
            for result in results {
                guard let history = try String.fetchOne(select, arguments: [result.deliveryID]) else { continue }
                let attempts = try WebhookRows.appending(result.attempt, to: history)
                try update.execute(arguments: [
                    result.status.rawValue, result.attempt.statusCode, result.attempt.error,
                    result.status == .queued ? result.nextAttemptAt?.milliseconds : nil,
                    result.attempt.at.milliseconds, attempts, result.deliveryID,
                ])
            }
            return ((), [])
        }
    }

    public func recoverInterruptedWebhookDeliveries(claimedBefore: Date, now: Date) async throws -> Int {
        try ensureOpen()
        return try await writer.perform { db in
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET status = 'queued', next_attempt_at = ?, updated_at = ?
                    WHERE status = 'sending' AND claimed_at < ?
                    """,
                arguments: [now.milliseconds, now.milliseconds, claimedBefore.milliseconds])
            return (db.changesCount, [])
        }
    }

    public func nextWebhookDueDate(share: WebhookShare) async throws -> Date? {
        try ensureOpen()
        return try await database.read { db in
            try Int64.fetchOne(db, sql: WebhookHeads.nextDueSQL(share: share)).map(Date.init(milliseconds:))
        }
    }

    public func webhookDeliveries(inbox: String, status: WebhookDelivery.Status?, limit: Int) async throws
        -> [WebhookDelivery]
    {
        try ensureOpen()
        let limit = max(0, min(limit, WebhookLimits.maximumListing))
        return try await database.read { db in
            guard let reference = try InboxReference.find(inbox, in: db) else { throw StoreError.inboxNotFound(inbox) }
            var sql = "SELECT \(Self.webhookDeliveryColumns) FROM webhook_delivery WHERE inbox = ?"
            var arguments: StatementArguments = [reference.name]
            if let status {
                sql += " AND status = ?"
                arguments += [status.rawValue]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.decodeWebhookDelivery)
        }
    }

    @discardableResult
    public func pruneWebhookDeliveries(finishedBefore date: Date) async throws -> Int {
        try ensureOpen()
        return try await writer.perform { db in
            try db.execute(
                sql: "DELETE FROM webhook_delivery WHERE status IN ('sent', 'failed') AND updated_at < ?",
                arguments: [date.milliseconds])
            return (db.changesCount, [])
        }
    }

    private static func webhooks(inboxID: Int64, in db: Database) throws -> [Webhook] {
        try Row.fetchAll(
            db, sql: "SELECT url, events, secret, backoff_ms FROM webhook WHERE inbox_id = ? ORDER BY position",
            arguments: [inboxID]
        ).map { row in
            Webhook(
                url: row[0], events: WebhookRows.decodeEvents(row[1]), secret: row[2], backoffMilliseconds: row[3])
        }
    }

    private static func decodeWebhookDelivery(_ row: Row) throws -> WebhookDelivery {
        try WebhookRows.decode(
            (
                row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11],
                row[12], row[13], row[14]
            ))
    }
}
