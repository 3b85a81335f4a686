import Foundation
import GRDB

/// Pruning rules, run inside write transactions.
enum Retention {
    /// Adds newly stored messages to an inbox's counters and deletes its oldest messages beyond its limit;
    /// returns the deletion event if any.
    static func countNewMessages(_ count: Int, inboxID: Int64, defaultLimit: Int, in db: Database) throws -> StoreEvent?
    {
        // Through the C API: GRDB's row cursor cost more than the update, once for every commit.
        var update = RawStatement(
            try db.cachedStatement(
                sql: """
                    UPDATE inbox SET message_count = message_count + ?, unread_count = unread_count + ? WHERE id = ?
                    RETURNING name, message_count, max_messages
                    """))
        update.bind(Int64(count))
        update.bind(Int64(count))
        update.bind(inboxID)
        var counted: (name: String, count: Int64, limit: Int64?)?
        try update.forEachRow(in: db) {
            counted = (update.string(at: 0), update.int64(at: 1), update.optionalInt64(at: 2))
        }
        guard let counted else { return nil }
        let limit = counted.limit.map { Int(truncatingIfNeeded: $0) } ?? defaultLimit
        return try prune(
            inboxID: inboxID, name: counted.name, count: Int(truncatingIfNeeded: counted.count), limit: limit, in: db)
    }

    /// Deletes the oldest messages of an inbox beyond its limit; returns the deletion event if any.
    static func pruneByCount(inboxID: Int64, defaultLimit: Int, in db: Database) throws -> StoreEvent? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT name, message_count, max_messages FROM inbox WHERE id = ?", arguments: [inboxID])
        else { return nil }
        return try prune(inboxID: inboxID, name: row[0], count: row[1], limit: row[2] ?? defaultLimit, in: db)
    }

    private static func prune(inboxID: Int64, name: String, count: Int, limit: Int, in db: Database) throws
        -> StoreEvent?
    {
        guard limit > 0, count > limit else { return nil }
        let deleted = try deleteMessages(
            db,
            where: "seq IN (SELECT seq FROM message WHERE inbox_id = ? ORDER BY seq LIMIT ?)",
            arguments: [inboxID, count - limit])
        return deleted.isEmpty ? nil : .deleted(inbox: name, ids: deleted)
    }

    /// Deletes messages older than each inbox's age limit; returns one event per inbox touched.
    static func pruneByAge(defaultMaximumAge: Int?, now: Date, in db: Database) throws -> [StoreEvent] {
        var events: [StoreEvent] = []
        for inbox in try Row.fetchAll(db, sql: "SELECT id, name, max_age_seconds FROM inbox") {
            guard let maximumAge: Int = inbox[2] ?? defaultMaximumAge, maximumAge > 0 else { continue }
            let cutoff = now.addingTimeInterval(-Double(maximumAge))
            if let event = try pruneByAge(inboxID: inbox[0], name: inbox[1], olderThan: cutoff, in: db) {
                events.append(event)
            }
        }
        return events
    }

    /// Deletes an inbox's messages received before `cutoff`.
    static func pruneByAge(inboxID: Int64, name: String, olderThan cutoff: Date, in db: Database) throws -> StoreEvent?
    {
        // Arrival order is time order: walk from the oldest to the first message young enough.
        let firstKept = try Int64.fetchOne(
            db,
            sql: "SELECT seq FROM message WHERE inbox_id = ? AND received_at >= ? ORDER BY seq LIMIT 1",
            arguments: [inboxID, cutoff.milliseconds])
        let deleted = try deleteMessages(
            db, where: "inbox_id = ? AND seq < ?", arguments: [inboxID, firstKept ?? Int64.max])
        return deleted.isEmpty ? nil : .deleted(inbox: name, ids: deleted)
    }

    /// Deletes the matching messages, keeps the inbox counters right, and returns the deleted ids.
    static func deleteMessages(_ db: Database, where condition: String, arguments: StatementArguments) throws
        -> [String]
    {
        let rows = try Row.fetchAll(
            db, sql: "DELETE FROM message WHERE \(condition) RETURNING id, inbox_id, is_read", arguments: arguments)
        var removed: [Int64: (total: Int, unread: Int)] = [:]
        var ids: [String] = []
        ids.reserveCapacity(rows.count)
        for row in rows {
            ids.append(row[0])
            let inboxID: Int64 = row[1]
            let isRead: Bool = row[2]
            removed[inboxID, default: (0, 0)].total += 1
            if !isRead { removed[inboxID, default: (0, 0)].unread += 1 }
        }
        for (inboxID, counts) in removed {
            try db.execute(
                sql: "UPDATE inbox SET message_count = message_count - ?, unread_count = unread_count - ? WHERE id = ?",
                arguments: [counts.total, counts.unread, inboxID])
        }
        return ids
    }
}
