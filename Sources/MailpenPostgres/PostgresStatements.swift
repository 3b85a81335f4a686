import Foundation
import Logging
import MailpenStore
import PostgresNIO

/// Inbox lookups and creation shared by the writer and the store, inside a caller's transaction.
enum PostgresInboxes {
    static let columns = """
        name, smtp_username, smtp_password, max_messages, max_age_seconds, routes, created_at, message_count, \
        unread_count
        """

    typealias Row = (String, String, String, Int64?, Int64?, String, Int64, Int64, Int64)

    static func decode(_ row: Row) -> Inbox {
        Inbox(
            name: row.0, smtpUsername: row.1, smtpPassword: row.2, maximumMessages: row.3.map(Int.init),
            maximumAgeSeconds: row.4.map(Int.init), routes: ColumnList.decodeStrings(row.5),
            createdAt: Date(milliseconds: row.6), total: Int(row.7), unread: Int(row.8))
    }

    /// The inboxes with these lower-cased names.
    static func find(_ keys: [String], on connection: PostgresConnection, logger: Logger) async throws
        -> [InboxReference]
    {
        var found: [InboxReference] = []
        let rows = try await connection.query(
            "SELECT id, name FROM inbox WHERE name_key = ANY(\(keys)::text[])", logger: logger)
        for try await (id, name) in rows.decode((Int64, String).self) {
            found.append(InboxReference(id: id, name: name))
        }
        return found
    }

    /// The inbox `name`, locked for this transaction (in the order every transaction here locks inboxes:
    /// one at a time, or by id).
    static func lock(_ name: String, on connection: PostgresConnection, logger: Logger) async throws
        -> InboxReference?
    {
        let rows = try await connection.query(
            "SELECT id, name FROM inbox WHERE name_key = \(name.lowercased()) FOR NO KEY UPDATE", logger: logger)
        for try await (id, name) in rows.decode((Int64, String).self) {
            return InboxReference(id: id, name: name)
        }
        return nil
    }

    /// Creates the inbox unless it exists (perhaps just created by another node); returns it and whether it
    /// was created here.
    static func create(
        _ name: String, password: String, maximumMessages: Int? = nil, maximumAgeSeconds: Int? = nil,
        routes: [String] = [],
        at date: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> (InboxReference, created: Bool) {
        let rows = try await connection.query(
            """
            INSERT INTO inbox (name, name_key, smtp_username, smtp_password, max_messages, max_age_seconds, routes,
                created_at)
            VALUES (\(name), \(name.lowercased()), \(name), \(StoredText.cut(password)), \(maximumMessages.map(Int64.init)),
                \(maximumAgeSeconds.map(Int64.init)), \(ColumnList.encode(routes)), \(date.milliseconds))
            ON CONFLICT (name_key) DO NOTHING
            RETURNING id, name
            """, logger: logger)
        for try await (id, created) in rows.decode((Int64, String).self) {
            return (InboxReference(id: id, name: created), true)
        }
        guard let existing = try await find([name.lowercased()], on: connection, logger: logger).first else {
            throw StoreError.inboxNotFound(name)
        }
        return (existing, false)
    }

    /// Every inbox's routes, in the order they are tried: inbox name, then pattern order.
    static func routes(on connection: PostgresConnection, logger: Logger) async throws -> RouteTable {
        var routes: [(pattern: AddressPattern, inbox: InboxReference)] = []
        let rows = try await connection.query(
            "SELECT id, name, routes FROM inbox WHERE routes <> '' ORDER BY name_key", logger: logger)
        for try await (id, name, text) in rows.decode((Int64, String, String).self) {
            for pattern in ColumnList.decodeStrings(text) {
                routes.append((AddressPattern(pattern), InboxReference(id: id, name: name)))
            }
        }
        return RouteTable(routes)
    }
}

/// Deleting messages, inside a caller's transaction that has locked the inboxes concerned.
enum PostgresRetention {
    /// Deletes the messages whose `seq` the SQL `selection` picks (with `builder`'s values), keeps the inbox
    /// counters right, and returns the deleted ids, oldest first.
    static func delete(
        selecting selection: String, _ builder: SQLBuilder, on connection: PostgresConnection, logger: Logger
    ) async throws -> [String] {
        let query = builder.query(
            """
            WITH gone AS (
                DELETE FROM message WHERE seq IN (\(selection)) RETURNING id, inbox_id, is_read
            ), counts AS (
                SELECT inbox_id, count(*) AS total, count(*) FILTER (WHERE NOT is_read) AS unread
                FROM gone GROUP BY inbox_id
            ), fixed AS (
                UPDATE inbox SET message_count = inbox.message_count - counts.total,
                    unread_count = inbox.unread_count - counts.unread
                FROM counts WHERE inbox.id = counts.inbox_id
            )
            SELECT id FROM gone ORDER BY id
            """)
        var ids: [String] = []
        for try await id in try await connection.query(query, logger: logger).decode(String.self) {
            ids.append(id)
        }
        return ids
    }

    /// Deletes an inbox's `count` oldest messages.
    static func deleteOldest(_ count: Int64, inboxID: Int64, on connection: PostgresConnection, logger: Logger)
        async throws -> [String]
    {
        var builder = SQLBuilder()
        let inbox = try builder.bind(inboxID)
        let limit = try builder.bind(count)
        return try await delete(
            selecting: "SELECT seq FROM message WHERE inbox_id = \(inbox) ORDER BY seq LIMIT \(limit)", builder,
            on: connection, logger: logger)
    }

    /// Deletes an inbox's messages received before `cutoff`.
    static func deleteOlder(than cutoff: Date, inboxID: Int64, on connection: PostgresConnection, logger: Logger)
        async throws -> [String]
    {
        var builder = SQLBuilder()
        let inbox = try builder.bind(inboxID)
        let time = try builder.bind(cutoff.milliseconds)
        // Arrival order is time order: everything before the first message young enough goes.
        return try await delete(
            selecting: """
                SELECT seq FROM message WHERE inbox_id = \(inbox) AND seq < coalesce(
                    (SELECT seq FROM message WHERE inbox_id = \(inbox) AND received_at >= \(time) ORDER BY seq LIMIT 1),
                    9223372036854775807)
                """, builder, on: connection, logger: logger)
    }
}

/// Tells the other nodes of committed changes, inside the transaction that made them.
enum PostgresNotifier {
    static func notify(_ payloads: [String], on connection: PostgresConnection, logger: Logger) async throws {
        guard !payloads.isEmpty else { return }
        try await connection.run(
            "SELECT pg_notify(\(StoreNotification.channel), p) FROM unnest(\(payloads)::text[]) AS p",
            logger: logger)
    }
}
