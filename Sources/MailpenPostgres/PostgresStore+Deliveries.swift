import Foundation
import Logging
import MailpenStore
import PostgresNIO
import Synchronization

/// The delivery queue in the shared database, so that every node sees every delivery and any node may send
/// one. A claim locks the due rows it takes and skips rows another node is claiming (`FOR UPDATE SKIP
/// LOCKED`), so no delivery goes to two senders at once.
///
/// A node that stops mid-attempt cannot put its deliveries back itself, and the others cannot tell a
/// stopped node from a slow one; so a claim is a lease that its node renews while it sends
/// (``DeliveryLeases``), and a `sending` delivery whose lease ran out is claimed again (at-least-once).
extension PostgresStore: DeliveryQueue {
    private static let deliveryColumns = """
        id, message_id, inbox, relay, recipients, status, attempts, last_reply, last_error, next_attempt_at, \
        created_at, updated_at, history
        """

    private typealias DeliveryRow = (
        String, String, String, String, String, String, Int32, String?, String?, Int64?, Int64, Int64, String
    )

    public func enqueue(_ requests: [DeliveryRequest], at date: Date) async throws -> [Delivery] {
        try ensureOpen()
        guard !requests.isEmpty else { return [] }
        let ids = try DeliveryColumns.identifiers(for: requests, at: date)
        let logger = self.logger
        return try await pool.withTransaction { connection in
            var created: [Delivery] = []
            for (id, request) in zip(ids, requests) {
                var inbox: String?
                let rows = try await connection.query(
                    """
                    SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id
                    WHERE m.id = \(StoredText.cut(request.messageID))
                    """, logger: logger)
                for try await name in rows.decode(String.self) { inbox = name }
                guard let inbox else { throw StoreError.messageNotFound(request.messageID) }
                let delivery = Delivery(
                    id: id, messageID: request.messageID, inbox: inbox, relay: request.relay,
                    recipients: request.recipients.map { Delivery.Recipient(address: $0) }, status: .queued,
                    attempts: 0, lastReply: nil, lastError: nil, nextAttemptAt: date, createdAt: date,
                    updatedAt: date, history: [])
                try await connection.run(
                    """
                    INSERT INTO delivery (id, message_id, inbox, relay, recipients, status, next_attempt_at,
                        created_at, updated_at)
                    VALUES (\(id), \(StoredText.cut(request.messageID)), \(inbox), \(StoredText.cut(request.relay)),
                        \(try DeliveryColumns.encode(delivery.recipients)), 'queued', \(date.milliseconds),
                        \(date.milliseconds), \(date.milliseconds))
                    """, logger: logger)
                created.append(delivery)
            }
            return created
        }
    }

    public func claimDueDeliveries(now: Date, limit: Int, share: RelayShare) async throws -> [Delivery] {
        try ensureOpen()
        let limit = max(0, min(limit, DeliveryLimits.maximumListing))
        let now = now.milliseconds
        let (lease, _) = now.addingReportingOverflow(deliveryLeases.milliseconds)
        let logger = self.logger
        let claimed = try await pool.withConnection { connection in
            let sending = try await Self.sendingCounts(on: connection, now: now, logger: logger)
            var relays = Set(try await Self.queuedRelays(on: connection, logger: logger))
            relays.formUnion(sending.filter { $0.value.expired > 0 }.keys)
            var candidates: [(seq: Int64, due: Int64)] = []
            for relay in relays.sorted() {
                let free = Int64(min(share.free(claimed: sending[relay]?.live ?? 0), limit))
                guard free > 0 else { continue }
                // Due queued ones from the relay's run of the index; then any whose node stopped while
                // sending them (their lease ran out), which are few. Nothing is locked yet.
                var queries: [PostgresQuery] = [
                    """
                    SELECT seq, next_attempt_at FROM delivery
                    WHERE status = 'queued' AND relay = \(relay) AND next_attempt_at <= \(now)
                    ORDER BY next_attempt_at, seq LIMIT \(free)
                    """
                ]
                if (sending[relay]?.expired ?? 0) > 0 {
                    queries.append(
                        """
                        SELECT seq, coalesce(next_attempt_at, 0) FROM delivery
                        WHERE status = 'sending' AND relay = \(relay) AND lease_until <= \(now)
                        ORDER BY next_attempt_at, seq LIMIT \(free)
                        """)
                }
                var relayCandidates: [(seq: Int64, due: Int64)] = []
                for query in queries {
                    for try await (seq, due) in try await connection.query(query, logger: logger)
                        .decode((Int64, Int64).self)
                    {
                        relayCandidates.append((seq, due))
                    }
                }
                let kept = Set(RelayShare.earliest(relayCandidates, limit: Int(free)))
                candidates += relayCandidates.filter { kept.contains($0.seq) }
            }
            let chosen = RelayShare.earliest(candidates, limit: limit)
            guard !chosen.isEmpty else { return [Delivery]() }
            // Only the chosen rows are locked, each checked again: another node may have taken one meanwhile.
            return try await Self.fetchDeliveries(
                """
                UPDATE delivery SET status = 'sending', lease_until = \(lease), updated_at = \(now)
                WHERE seq IN (
                    SELECT seq FROM delivery
                    WHERE seq = ANY(\(chosen)::bigint[])
                        AND ((status = 'queued' AND next_attempt_at <= \(now))
                            OR (status = 'sending' AND lease_until <= \(now)))
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.deliveryColumns)
                """, on: connection, logger: logger)
        }
        deliveryLeases.hold(claimed.map(\.id))
        return claimed.sorted { ($0.nextAttemptAt ?? .distantPast, $0.id) < ($1.nextAttemptAt ?? .distantPast, $1.id) }
    }

    /// Deliveries `sending` per relay: those whose lease holds are under way on some node; those whose lease
    /// ran out were left by a node that stopped, and are due again.
    private static func sendingCounts(
        on connection: PostgresConnection, now: Int64, logger: Logger
    ) async throws -> [String: (live: Int, expired: Int)] {
        var counts: [String: (live: Int, expired: Int)] = [:]
        let rows = try await connection.query(
            """
            SELECT relay, count(*) FILTER (WHERE lease_until > \(now)), count(*) FILTER (WHERE lease_until <= \(now))
            FROM delivery WHERE status = 'sending' GROUP BY relay
            """, logger: logger)
        for try await (relay, live, expired) in rows.decode((String, Int64, Int64).self) {
            counts[relay] = (Int(live), Int(expired))
        }
        return counts
    }

    private static func queuedRelays(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var relays: [String] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: QueuedRelays.sql), logger: logger)
        for try await relay in rows.decode(String.self) { relays.append(relay) }
        return relays
    }

    /// Extends the leases of deliveries this node is still sending.
    func renewLeases(_ ids: [String]) async throws {
        let (until, _) = Date().milliseconds.addingReportingOverflow(deliveryLeases.milliseconds)
        let logger = self.logger
        try await pool.withConnection { connection in
            try await connection.run(
                "UPDATE delivery SET lease_until = \(until) WHERE id = ANY(\(ids)::text[]) AND status = 'sending'",
                logger: logger)
        }
    }

    public func recordAttempts(_ results: [DeliveryAttemptResult]) async throws -> [Delivery] {
        try ensureOpen()
        guard !results.isEmpty else { return [] }
        let logger = self.logger
        defer { deliveryLeases.release(results.map(\.deliveryID)) }
        return try await pool.withTransaction { connection in
            var recorded: [Delivery] = []
            for result in results {
                let rows = try await Self.fetchDeliveries(
                    """
                    SELECT \(unescaped: Self.deliveryColumns) FROM delivery
                    WHERE id = \(StoredText.cut(result.deliveryID)) FOR UPDATE
                    """, on: connection, logger: logger)
                guard var delivery = rows.first else { continue }
                delivery.record(result)
                try await connection.run(
                    """
                    UPDATE delivery SET recipients = \(try DeliveryColumns.encode(delivery.recipients)),
                        status = \(delivery.status.rawValue), attempts = \(Int32(clamping: delivery.attempts)),
                        last_reply = \(StoredText.cut(delivery.lastReply)),
                        last_error = \(StoredText.cut(delivery.lastError)),
                        next_attempt_at = \(delivery.nextAttemptAt?.milliseconds), lease_until = NULL,
                        updated_at = \(delivery.updatedAt.milliseconds),
                        history = \(try DeliveryColumns.encode(delivery.history))
                    WHERE id = \(delivery.id)
                    """, logger: logger)
                recorded.append(delivery)
            }
            return recorded
        }
    }

    /// Puts back only deliveries whose lease ran out: on a shared database, the others may be in the hands
    /// of a node that is still sending them.
    public func recoverInterruptedDeliveries(now: Date) async throws -> Int {
        try ensureOpen()
        let now = now.milliseconds
        let logger = self.logger
        return try await pool.withConnection { connection in
            var count = 0
            let rows = try await connection.query(
                """
                WITH back AS (
                    UPDATE delivery SET status = 'queued', next_attempt_at = \(now), lease_until = NULL,
                        updated_at = \(now)
                    WHERE status = 'sending' AND lease_until <= \(now) RETURNING 1)
                SELECT count(*) FROM back
                """, logger: logger)
            for try await recovered in rows.decode(Int64.self) { count = Int(recovered) }
            return count
        }
    }

    /// The earliest time a claim with `share` could take something: the due dates of queued deliveries
    /// whose relay is under its share, now for such a relay's deliveries whose lease ran out, and the end of
    /// the next lease that runs out (its delivery is due again then, and its relay has one fewer under way).
    public func nextDueDate(share: RelayShare) async throws -> Date? {
        try ensureOpen()
        let logger = self.logger
        let now = Date().milliseconds
        return try await pool.withConnection(retrying: true) { connection in
            let sending = try await Self.sendingCounts(on: connection, now: now, logger: logger)
            var due: Int64?
            func consider(_ value: Int64) { due = min(due ?? value, value) }
            let leases = try await connection.query(
                "SELECT min(lease_until) FROM delivery WHERE status = 'sending' AND lease_until > \(now)",
                logger: logger)
            for try await value in leases.decode(Int64?.self) { value.map(consider) }
            if sending.values.contains(where: { $0.expired > 0 && share.free(claimed: $0.live) > 0 }) { consider(now) }
            for relay in try await Self.queuedRelays(on: connection, logger: logger)
            where share.free(claimed: sending[relay]?.live ?? 0) > 0 {
                let rows = try await connection.query(
                    "SELECT min(next_attempt_at) FROM delivery WHERE status = 'queued' AND relay = \(relay)",
                    logger: logger)
                for try await value in rows.decode(Int64?.self) { value.map(consider) }
            }
            return due.map(Date.init(milliseconds:))
        }
    }

    public func delivery(id: String) async throws -> Delivery? {
        try await readDeliveries(
            "SELECT \(unescaped: Self.deliveryColumns) FROM delivery WHERE id = \(StoredText.cut(id))"
        ).first
    }

    public func deliveries(messageID: String) async throws -> [Delivery] {
        try await readDeliveries(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM delivery
            WHERE message_id = \(StoredText.cut(messageID)) ORDER BY seq
            """)
    }

    public func deliveries(status: Delivery.Status?, relay: String?, limit: Int) async throws -> [Delivery] {
        let limit = Int64(max(0, min(limit, DeliveryLimits.maximumListing)))
        return try await readDeliveries(
            """
            SELECT \(unescaped: Self.deliveryColumns) FROM delivery
            WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                AND (\(StoredText.cut(relay))::text IS NULL OR relay = \(StoredText.cut(relay)))
            ORDER BY seq DESC LIMIT \(limit)
            """)
    }

    // MARK: - Auto-relay rules

    public func autoRelayRules(inbox: String) async throws -> [AutoRelayRule] {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            guard
                let reference = try await PostgresInboxes.find([inbox.lowercased()], on: connection, logger: logger)
                    .first
            else { throw StoreError.inboxNotFound(inbox) }
            var rules: [AutoRelayRule] = []
            let rows = try await connection.query(
                """
                SELECT relay, query, recipients FROM auto_relay_rule WHERE inbox_id = \(reference.id)
                ORDER BY position
                """, logger: logger)
            for try await (relay, query, recipients) in rows.decode((String, String, String?).self) {
                rules.append(
                    AutoRelayRule(
                        relay: relay, query: query,
                        to: try recipients.map { try DeliveryColumns.decode([String].self, $0) }))
            }
            return rules
        }
    }

    public func setAutoRelayRules(_ rules: [AutoRelayRule], inbox: String) async throws {
        guard rules.count <= DeliveryLimits.maximumRulesPerInbox else {
            throw DeliveryQueueError.invalid(
                "an inbox has at most \(DeliveryLimits.maximumRulesPerInbox) auto-relay rules, not \(rules.count)")
        }
        let logger = self.logger
        try await change { connection in
            guard let reference = try await PostgresInboxes.lock(inbox, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(inbox)
            }
            try await connection.run("DELETE FROM auto_relay_rule WHERE inbox_id = \(reference.id)", logger: logger)
            for (position, rule) in rules.enumerated() {
                try await connection.run(
                    """
                    INSERT INTO auto_relay_rule (inbox_id, position, relay, query, recipients)
                    VALUES (\(reference.id), \(Int32(position)), \(StoredText.cut(rule.relay)),
                        \(StoredText.cut(rule.query)), \(try rule.to.map(DeliveryColumns.encode)))
                    """, logger: logger)
            }
            return ((), [.inbox(name: reference.name, change: .updated)])
        }
    }

    // MARK: - Rows

    private func readDeliveries(_ query: PostgresQuery) async throws -> [Delivery] {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            try await Self.fetchDeliveries(query, on: connection, logger: logger)
        }
    }

    private static func fetchDeliveries(
        _ query: PostgresQuery, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Delivery] {
        var deliveries: [Delivery] = []
        for try await row in try await connection.query(query, logger: logger).decode(DeliveryRow.self) {
            deliveries.append(
                Delivery(
                    id: row.0, messageID: row.1, inbox: row.2, relay: row.3,
                    recipients: try DeliveryColumns.decode([Delivery.Recipient].self, row.4),
                    status: Delivery.Status(rawValue: row.5) ?? .failed, attempts: Int(row.6), lastReply: row.7,
                    lastError: row.8, nextAttemptAt: row.9.map(Date.init(milliseconds:)),
                    createdAt: Date(milliseconds: row.10), updatedAt: Date(milliseconds: row.11),
                    history: try DeliveryColumns.decode([Delivery.Attempt].self, row.12)))
        }
        return deliveries
    }
}
