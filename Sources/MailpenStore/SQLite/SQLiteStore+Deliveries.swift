import Foundation
import GRDB
import Synchronization

/// The delivery queue in the same SQLite file as the messages. Every change goes through the store's one
/// writer, so a claim (an `UPDATE … RETURNING` of due rows) can never hand a delivery to two senders.
extension SQLiteStore: DeliveryQueue {
    private static let deliveryColumns = """
        id, message_id, inbox, relay, recipients, status, attempts, last_reply, last_error, next_attempt_at, \
        created_at, updated_at, history
        """

    public func enqueue(_ requests: [DeliveryRequest], at date: Date) async throws -> [Delivery] {
        try ensureOpen()
        guard !requests.isEmpty else { return [] }
        let ids = try DeliveryColumns.identifiers(for: requests, at: date)
        return try await writer.perform { db in
            let inboxOf = try db.cachedStatement(
                sql: "SELECT inbox.name FROM message JOIN inbox ON inbox.id = message.inbox_id WHERE message.id = ?")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO delivery (id, message_id, inbox, relay, recipients, status, next_attempt_at,
                        created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                    """)
            var created: [Delivery] = []
            for (id, request) in zip(ids, requests) {
                guard let inbox = try String.fetchOne(inboxOf, arguments: [request.messageID]) else {
                    throw StoreError.messageNotFound(request.messageID)
                }
                let delivery = Delivery(
                    id: id, messageID: request.messageID, inbox: inbox, relay: request.relay,
                    recipients: request.recipients.map { Delivery.Recipient(address: $0) }, status: .queued,
                    attempts: 0, lastReply: nil, lastError: nil, nextAttemptAt: date, createdAt: date,
                    updatedAt: date, history: [])
                try insert.execute(arguments: [
                    id, request.messageID, inbox, request.relay, try Self.json(delivery.recipients),
                    date.milliseconds, date.milliseconds, date.milliseconds,
                ])
                created.append(delivery)
            }
            return (created, [])
        }
    }

    public func claimDueDeliveries(now: Date, limit: Int, share: RelayShare) async throws -> [Delivery] {
        try ensureOpen()
        let limit = max(0, min(limit, DeliveryLimits.maximumListing))
        let now = now.milliseconds
        return try await writer.perform { db in
            let claimed = try Self.claimedCounts(db)
            let due = try db.cachedStatement(
                sql: """
                    SELECT seq, next_attempt_at FROM delivery
                    WHERE status = 'queued' AND relay = ? AND next_attempt_at <= ?
                    ORDER BY next_attempt_at, seq LIMIT ?
                    """)
            var candidates: [(seq: Int64, due: Int64)] = []
            for relay in try String.fetchAll(db, sql: QueuedRelays.sql) {
                let free = min(share.free(claimed: claimed[relay, default: 0]), limit)
                guard free > 0 else { continue }
                for row in try Row.fetchAll(due, arguments: [relay, now, free]) { candidates.append((row[0], row[1])) }
            }
            let chosen = RelayShare.earliest(candidates, limit: limit)
            guard !chosen.isEmpty else { return ([], []) }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE delivery SET status = 'sending', updated_at = ?
                    WHERE seq IN (\(databaseQuestionMarks(count: chosen.count)))
                    RETURNING \(Self.deliveryColumns)
                    """,
                arguments: StatementArguments([now] + chosen))
            let claimedNow = try rows.map(Self.decodeDelivery).sorted {
                ($0.nextAttemptAt ?? .distantPast, $0.id) < ($1.nextAttemptAt ?? .distantPast, $1.id)
            }
            return (claimedNow, [])
        }
    }

    /// Deliveries `sending` per relay: one process sends them all, so every one is under way (those a crash
    /// left are put back at start-up).
    private static func claimedCounts(_ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT relay, count(*) FROM delivery WHERE status = 'sending' GROUP BY relay")
        {
            counts[row[0]] = row[1]
        }
        return counts
    }

    public func recordAttempts(_ results: [DeliveryAttemptResult]) async throws -> [Delivery] {
        try ensureOpen()
        guard !results.isEmpty else { return [] }
        return try await writer.perform { db in
            let select = try db.cachedStatement(sql: "SELECT \(Self.deliveryColumns) FROM delivery WHERE id = ?")
            let update = try db.cachedStatement(
                sql: """
                    UPDATE delivery SET recipients = ?, status = ?, attempts = ?, last_reply = ?, last_error = ?,
                        next_attempt_at = ?, updated_at = ?, history = ?
                    WHERE id = ?
                    """)
            var recorded: [Delivery] = []
            for result in results {
                guard let row = try Row.fetchOne(select, arguments: [result.deliveryID]) else { continue }
                var delivery = try Self.decodeDelivery(row)
                delivery.record(result)
                try update.execute(arguments: [
                    try Self.json(delivery.recipients), delivery.status.rawValue, delivery.attempts,
                    delivery.lastReply, delivery.lastError, delivery.nextAttemptAt?.milliseconds,
                    delivery.updatedAt.milliseconds, try Self.json(delivery.history), delivery.id,
                ])
                recorded.append(delivery)
            }
            return (recorded, [])
        }
    }

    public func recoverInterruptedDeliveries(now: Date) async throws -> Int {
        try ensureOpen()
        return try await writer.perform { db in
            try db.execute(
                sql:
                    "UPDATE delivery SET status = 'queued', next_attempt_at = ?, updated_at = ? WHERE status = 'sending'",
                arguments: [now.milliseconds, now.milliseconds])
            return (db.changesCount, [])
        }
    }

    public func nextDueDate(share: RelayShare) async throws -> Date? {
        try ensureOpen()
        return try await database.read { db in
            let claimed = try Self.claimedCounts(db)
            let first = try db.cachedStatement(
                sql: "SELECT min(next_attempt_at) FROM delivery WHERE status = 'queued' AND relay = ?")
            var due: Int64?
            for relay in try String.fetchAll(db, sql: QueuedRelays.sql)
            where share.free(claimed: claimed[relay, default: 0]) > 0 {
                if let next = try Int64.fetchOne(first, arguments: [relay]) { due = min(due ?? next, next) }
            }
            return due.map(Date.init(milliseconds:))
        }
    }

    public func delivery(id: String) async throws -> Delivery? {
        try ensureOpen()
        return try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.deliveryColumns) FROM delivery WHERE id = ?", arguments: [id])
                .map(Self.decodeDelivery)
        }
    }

    public func deliveries(messageID: String) async throws -> [Delivery] {
        try ensureOpen()
        return try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.deliveryColumns) FROM delivery WHERE message_id = ? ORDER BY seq",
                arguments: [messageID]
            ).map(Self.decodeDelivery)
        }
    }

    public func deliveries(status: Delivery.Status?, relay: String?, limit: Int) async throws -> [Delivery] {
        try ensureOpen()
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        if let relay {
            conditions.append("relay = ?")
            arguments += [relay]
        }
        arguments += [max(0, min(limit, DeliveryLimits.maximumListing))]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(Self.deliveryColumns) FROM delivery \(filter) ORDER BY seq DESC LIMIT ?"
        let bound = arguments
        return try await database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.decodeDelivery)
        }
    }

    // MARK: - Auto-relay rules

    public func autoRelayRules(inbox: String) async throws -> [AutoRelayRule] {
        try ensureOpen()
        return try await database.read { db in
            guard let reference = try InboxReference.find(inbox, in: db) else { throw StoreError.inboxNotFound(inbox) }
            return try Row.fetchAll(
                db, sql: "SELECT relay, query, recipients FROM auto_relay_rule WHERE inbox_id = ? ORDER BY position",
                arguments: [reference.id]
            ).map { row in
                let recipients: String? = row[2]
                return AutoRelayRule(
                    relay: row[0], query: row[1],
                    to: try recipients.map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) })
            }
        }
    }

    public func setAutoRelayRules(_ rules: [AutoRelayRule], inbox: String) async throws {
        guard rules.count <= DeliveryLimits.maximumRulesPerInbox else {
            throw DeliveryQueueError.invalid(
                "an inbox has at most \(DeliveryLimits.maximumRulesPerInbox) auto-relay rules, not \(rules.count)")
        }
        try ensureOpen()
        try await writer.perform { db in
            guard let reference = try InboxReference.find(inbox, in: db) else { throw StoreError.inboxNotFound(inbox) }
            try db.execute(sql: "DELETE FROM auto_relay_rule WHERE inbox_id = ?", arguments: [reference.id])
            for (position, rule) in rules.enumerated() {
                try db.execute(
                    sql:
                        "INSERT INTO auto_relay_rule (inbox_id, position, relay, query, recipients) VALUES (?, ?, ?, ?, ?)",
                    arguments: [reference.id, position, rule.relay, rule.query, try rule.to.map(Self.json)])
            }
            return ((), [.inbox(name: reference.name, change: .updated)])
        }
    }

    // MARK: - Rows

    private static func json(_ value: some Encodable) throws -> String {
        try DeliveryColumns.encode(value)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        try DeliveryColumns.decode(type, text)
    }

    private static func decodeDelivery(_ row: Row) throws -> Delivery {
        let status = Delivery.Status(rawValue: row[5]) ?? .failed
        let next: Int64? = row[9]
        return Delivery(
            id: row[0], messageID: row[1], inbox: row[2], relay: row[3],
            recipients: try decode([Delivery.Recipient].self, row[4]), status: status, attempts: row[6],
            lastReply: row[7], lastError: row[8], nextAttemptAt: next.map(Date.init(milliseconds:)),
            createdAt: Date(milliseconds: row[10]), updatedAt: Date(milliseconds: row[11]),
            history: try decode([Delivery.Attempt].self, row[12]))
    }
}
