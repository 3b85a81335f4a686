import Foundation
import Logging
import MailpenStore
import PostgresNIO

/// The webhooks and their delivery queue on PostgreSQL. Several nodes claim from the same queue: a claim
/// locks the rows it takes and skips rows another node has locked (`FOR UPDATE SKIP LOCKED`), and only
/// ever takes the oldest unfinished delivery of a URL, so no two nodes send the same attempt, nor two
/// events to one URL at once.
extension PostgresStore: WebhookQueue {
    private static let deliveryColumns = """
        id, inbox, url, event, body, secret, backoff_ms, status, attempts, last_status, last_error, \
        next_attempt_at, created_at, updated_at, history
        """

    public func webhooks(inbox: String) async throws -> [Webhook] {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            guard let reference = try await Self.inboxReference(inbox, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(inbox)
            }
            return try await Self.webhooks(inboxID: reference.id, on: connection, logger: logger)
        }
    }

    public func setWebhooks(_ webhooks: [Webhook], inbox: String) async throws {
        try WebhookLimits.validate(webhooks)
        let logger = self.logger
        let now = Date().milliseconds
        try await change { connection in
            guard let reference = try await PostgresInboxes.lock(inbox, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(inbox)
            }
            try await connection.run("DELETE FROM webhook WHERE inbox_id = \(reference.id)", logger: logger)
            for (position, webhook) in webhooks.enumerated() {
                try await connection.run(
                    """
                    INSERT INTO webhook (inbox_id, position, url, events, secret, backoff_ms)
                    VALUES (\(reference.id), \(Int64(position)), \(StoredText.cut(webhook.url)),
                        \(WebhookRows.encode(webhook.events)), \(StoredText.cut(webhook.secret)),
                        \(Int64(webhook.backoffMilliseconds)))
                    """, logger: logger)
            }
            let kept = webhooks.map { StoredText.cut($0.url) }
            try await connection.run(
                """
                UPDATE webhook_delivery SET status = 'failed', next_attempt_at = NULL, updated_at = \(now),
                    last_error = \(WebhookRows.removedError)
                WHERE inbox = \(reference.name) AND status = 'queued' AND NOT (url = ANY(\(kept)::text[]))
                """, logger: logger)
            return ((), [.inbox(name: reference.name, change: .updated)])
        }
    }

    public func webhookSubscriptions() async throws -> [String: Set<Webhook.Event>] {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            var subscriptions: [String: Set<Webhook.Event>] = [:]
            let rows = try await connection.query(
                "SELECT inbox.name, webhook.events FROM webhook JOIN inbox ON inbox.id = webhook.inbox_id",
                logger: logger)
            for try await (name, events) in rows.decode((String, String).self) {
                subscriptions[name, default: []].formUnion(WebhookRows.decodeEvents(events))
            }
            return subscriptions
        }
    }

    @discardableResult
    public func enqueueWebhookEvents(_ events: [WebhookEvent], at date: Date) async throws -> Int {
        try ensureOpen()
        guard !events.isEmpty else { return 0 }
        let logger = self.logger
        let at = date.milliseconds
        return try await pool.withTransaction { connection in
            var webhooksOf: [String: (name: String, webhooks: [Webhook])] = [:]
            var ids: [String] = []
            var inboxes: [String] = []
            var urls: [String] = []
            var kinds: [String] = []
            var keys: [String] = []
            var bodies: [String] = []
            // No secret travels as '' (a real one is never empty): arrays of optionals do not bind.
            var secrets: [String] = []
            var backoffs: [Int64] = []
            for event in events {
                let key = event.inbox.lowercased()
                if webhooksOf[key] == nil {
                    if let reference = try await Self.inboxReference(event.inbox, on: connection, logger: logger) {
                        webhooksOf[key] = (
                            reference.name,
                            try await Self.webhooks(inboxID: reference.id, on: connection, logger: logger)
                        )
                    } else {
                        webhooksOf[key] = (event.inbox, [])
                    }
                }
                guard let (inbox, webhooks) = webhooksOf[key] else { continue }
                for webhook in webhooks where webhook.events.contains(event.event) {
                    ids.append(WebhookRows.newID())
                    inboxes.append(inbox)
                    urls.append(webhook.url)
                    kinds.append(event.event.rawValue)
                    keys.append(StoredText.cut(event.key))
                    bodies.append(StoredText.cut(event.body))
                    secrets.append(StoredText.cut(webhook.secret ?? ""))
                    backoffs.append(Int64(webhook.backoffMilliseconds))
                }
            }
            guard !ids.isEmpty else { return 0 }
            // One statement for the whole batch; a key a URL already has (another node heard of the same
            // change) is skipped.
            let rows = try await connection.query(
                """
                WITH added AS (
                    INSERT INTO webhook_delivery (id, inbox, url, event, event_key, body, secret, backoff_ms, status,
                        next_attempt_at, created_at, updated_at)
                    SELECT id, inbox, url, event, event_key, body, NULLIF(secret, ''), backoff_ms, 'queued', \(at), \(at), \(at)
                    FROM unnest(\(ids)::text[], \(inboxes)::text[], \(urls)::text[], \(kinds)::text[],
                        \(keys)::text[], \(bodies)::text[], \(secrets)::text[], \(backoffs)::bigint[])
                        WITH ORDINALITY AS batch (id, inbox, url, event, event_key, body, secret, backoff_ms, position)
                    ORDER BY position
                    ON CONFLICT (inbox, url, event_key) DO NOTHING
                    RETURNING 1)
                SELECT count(*) FROM added
                """, logger: logger)
            var queued = 0
            for try await count in rows.decode(Int64.self) { queued = Int(count) }
            return queued
        }
    }

    public func claimDueWebhookDeliveries(now: Date, limit: Int, share: WebhookShare) async throws
        -> [WebhookDelivery]
    {
        try ensureOpen()
        let limit = Int64(max(0, min(limit, WebhookLimits.maximumListing)))
        let perInbox = Int64(share.perInbox)
        let claimedSince = share.claimedSince.milliseconds
        let now = now.milliseconds
        let logger = self.logger
        return try await pool.withTransaction { connection in
            // Rows cannot be locked in a query with a window function: places first, then the locks.
            let rows = try await connection.query(
                """
                WITH placed AS (
                    \(unescaped: WebhookHeads.placedSQL)
                    WHERE (delivery.status = 'sending' AND delivery.claimed_at >= \(claimedSince))
                        OR (delivery.status = 'queued' AND delivery.next_attempt_at <= \(now))
                ), due AS (
                    SELECT delivery.seq FROM placed
                    JOIN webhook_delivery AS delivery ON delivery.seq = placed.seq
                    WHERE placed.status = 'queued' AND placed.place <= \(perInbox) AND delivery.status = 'queued'
                    ORDER BY placed.next_attempt_at, placed.seq
                    LIMIT \(limit)
                    FOR UPDATE OF delivery SKIP LOCKED
                )
                UPDATE webhook_delivery SET status = 'sending', claimed_at = \(now), updated_at = \(now)
                FROM due WHERE webhook_delivery.seq = due.seq AND webhook_delivery.status = 'queued'
                RETURNING \(unescaped: Self.deliveryColumns.split(separator: ",").map {
                    "webhook_delivery." + $0.trimmingCharacters(in: .whitespacesAndNewlines)
                }.joined(separator: ", "))
                """, logger: logger)
            var claimed: [WebhookDelivery] = []
            for try await row in rows.decode(WebhookRows.Columns.self) { claimed.append(try WebhookRows.decode(row)) }
            return claimed.sorted {
                ($0.nextAttemptAt ?? .distantPast, $0.createdAt) < ($1.nextAttemptAt ?? .distantPast, $1.createdAt)
            }
        }
    }

    public func recordWebhookAttempts(_ results: [WebhookAttemptResult]) async throws {
        try ensureOpen()
        guard !results.isEmpty else { return }
        let logger = self.logger
        try await pool.withTransaction { connection in
            for result in results {
                var history: String?
                let rows = try await connection.query(
                    "SELECT history FROM webhook_delivery WHERE id = \(result.deliveryID) FOR UPDATE", logger: logger)
                for try await text in rows.decode(String.self) { history = text }
                guard let history else { continue }
                let next = result.status == .queued ? result.nextAttemptAt?.milliseconds : nil
                try await connection.run(
                    """
                    UPDATE webhook_delivery SET status = \(result.status.rawValue), attempts = attempts + 1,
                        last_status = \(result.attempt.statusCode.map(Int64.init)),
                        last_error = \(StoredText.cut(result.attempt.error)), next_attempt_at = \(next),
                        updated_at = \(result.attempt.at.milliseconds),
                        history = \(StoredText.cut(try WebhookRows.appending(result.attempt, to: history)))
                    WHERE id = \(result.deliveryID)
                    """, logger: logger)
            }
        }
    }

    public func recoverInterruptedWebhookDeliveries(claimedBefore: Date, now: Date) async throws -> Int {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH recovered AS (
                    UPDATE webhook_delivery SET status = 'queued', next_attempt_at = \(now.milliseconds),
                        updated_at = \(now.milliseconds)
                    WHERE status = 'sending' AND claimed_at < \(claimedBefore.milliseconds)
                    RETURNING 1)
                SELECT count(*) FROM recovered
                """, logger: logger)
            var count = 0
            for try await recovered in rows.decode(Int64.self) { count = Int(recovered) }
            return count
        }
    }

    public func nextWebhookDueDate(share: WebhookShare) async throws -> Date? {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: WebhookHeads.nextDueSQL(share: share)), logger: logger)
            for try await next in rows.decode(Int64?.self) { return next.map(Date.init(milliseconds:)) }
            return nil
        }
    }

    public func webhookDeliveries(inbox: String, status: WebhookDelivery.Status?, limit: Int) async throws
        -> [WebhookDelivery]
    {
        try ensureOpen()
        let limit = Int64(max(0, min(limit, WebhookLimits.maximumListing)))
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            guard let reference = try await Self.inboxReference(inbox, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(inbox)
            }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.deliveryColumns) FROM webhook_delivery
                WHERE inbox = \(reference.name) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                ORDER BY seq DESC LIMIT \(limit)
                """, logger: logger)
            var deliveries: [WebhookDelivery] = []
            for try await row in rows.decode(WebhookRows.Columns.self) {
                deliveries.append(try WebhookRows.decode(row))
            }
            return deliveries
        }
    }

    @discardableResult
    public func pruneWebhookDeliveries(finishedBefore date: Date) async throws -> Int {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH pruned AS (
                    DELETE FROM webhook_delivery
                    WHERE status IN ('sent', 'failed') AND updated_at < \(date.milliseconds)
                    RETURNING 1)
                SELECT count(*) FROM pruned
                """, logger: logger)
            var count = 0
            for try await pruned in rows.decode(Int64.self) { count = Int(pruned) }
            return count
        }
    }

    private static func inboxReference(_ name: String, on connection: PostgresConnection, logger: Logger)
        async throws -> InboxReference?
    {
        let rows = try await connection.query(
            "SELECT id, name FROM inbox WHERE name_key = \(StoredText.cut(name.lowercased()))", logger: logger)
        for try await (id, name) in rows.decode((Int64, String).self) { return InboxReference(id: id, name: name) }
        return nil
    }

    private static func webhooks(inboxID: Int64, on connection: PostgresConnection, logger: Logger) async throws
        -> [Webhook]
    {
        let rows = try await connection.query(
            "SELECT url, events, secret, backoff_ms FROM webhook WHERE inbox_id = \(inboxID) ORDER BY position",
            logger: logger)
        var webhooks: [Webhook] = []
        for try await (url, events, secret, backoff) in rows.decode((String, String, String?, Int64).self) {
            webhooks.append(
                Webhook(
                    url: url, events: WebhookRows.decodeEvents(events), secret: secret,
                    backoffMilliseconds: Int(backoff)))
        }
        return webhooks
    }
}
