import Foundation
import MailpenStore
import PostgresNIO

extension PostgresStore {
    /// The advisory lock (two 32-bit keys: 'mail', 2) that keeps age pruning to one node at a time.
    static let pruningLock: (Int32, Int32) = (0x6D61_696C, 2)

    /// Deletes one message.
    public func deleteMessage(id: String) async throws {
        let logger = self.logger
        try await change { connection in
            let rows = try await connection.query(
                "SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = \(StoredText.cut(id))",
                logger: logger)
            var name: String?
            for try await found in rows.decode(String.self) { name = found }
            // The inbox first, as every change here locks it before its messages.
            guard let name, let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else {
                throw StoreError.messageNotFound(id)
            }
            var builder = SQLBuilder()
            let selection = "SELECT seq FROM message WHERE id = \(try builder.bind(StoredText.cut(id)))"
            let ids = try await PostgresRetention.delete(selecting: selection, builder, on: connection, logger: logger)
            guard !ids.isEmpty else { throw StoreError.messageNotFound(id) }
            return ((), [.deleted(inbox: inbox.name, ids: ids)])
        }
    }

    /// Deletes an inbox's messages matching `query` (all of them for an empty search); returns how many.
    @discardableResult
    public func deleteMessages(_ query: MessageQuery) async throws -> Int {
        if query.search.terms.isEmpty && query.since == nil { return try await clearInbox(named: query.inbox) }
        let logger = self.logger
        return try await change { connection in
            guard let inbox = try await PostgresInboxes.lock(query.inbox, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(query.inbox)
            }
            var builder = SQLBuilder()
            let inboxID = try builder.bind(inbox.id)
            let search = try PostgresSearchSQL(query, into: &builder)
            let ids = try await PostgresRetention.delete(
                selecting:
                    "SELECT s.seq FROM message_search s WHERE \(search.inboxCondition(inboxID)) AND \(search.whereClause)",
                builder, on: connection, logger: logger)
            return (ids.count, ids.isEmpty ? [] : [.deleted(inbox: inbox.name, ids: ids)])
        }
    }

    /// Changes a message's read flag and/or tags; returns the new summary.
    @discardableResult
    public func update(id: String, isRead: Bool?, tags: [String]?) async throws -> MessageSummary {
        if let tags { try StoreValidation.validate(tags: tags) }
        let logger = self.logger
        let id = StoredText.cut(id)
        return try await change { connection in
            var name: String?
            for try await found in try await connection.query(
                "SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = \(id)", logger: logger
            ).decode(String.self) {
                name = found
            }
            guard let name, let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else {
                throw StoreError.messageNotFound(id)
            }
            var current: (Int64, Bool, String)?
            for try await row in try await connection.query(
                "SELECT seq, is_read, tags FROM message WHERE id = \(id) FOR UPDATE", logger: logger
            ).decode((Int64, Bool, String).self) {
                current = row
            }
            guard let (seq, wasRead, oldTags) = current else { throw StoreError.messageNotFound(id) }
            var changed = false
            if let isRead, isRead != wasRead {
                try await connection.run(
                    """
                    WITH flagged AS (UPDATE message_search SET is_read = \(isRead) WHERE seq = \(seq)),
                    counted AS (
                        UPDATE inbox SET unread_count = unread_count + \(Int64(isRead ? -1 : 1)),
                            flag_changes = flag_changes + 1
                        WHERE id = \(inbox.id)
                    )
                    UPDATE message SET is_read = \(isRead) WHERE seq = \(seq)
                    """, logger: logger)
                changed = true
            }
            if let tags {
                let unique = StoreValidation.unique(tags)
                let encoded = ColumnList.encode(unique)
                if encoded != oldTags {
                    let folded = Array(Set(unique.map(SearchFolding.fold))).map(StoredText.cut)
                    try await connection.run(
                        """
                        WITH cleared AS (DELETE FROM message_tag WHERE seq = \(seq)),
                        tagged AS (
                            INSERT INTO message_tag (tag, seq) SELECT DISTINCT t, \(seq) FROM unnest(\(folded)::text[]) AS t
                        )
                        UPDATE message SET tags = \(encoded) WHERE seq = \(seq)
                        """, logger: logger)
                    changed = true
                }
            }
            let summaries = try await SummaryColumns.fetch(
                """
                SELECT \(unescaped: SummaryColumns.list) FROM message m JOIN inbox i ON i.id = m.inbox_id
                WHERE m.seq = \(seq)
                """, on: connection, logger: logger)
            guard let summary = summaries.first else { throw StoreError.messageNotFound(id) }
            return (summary, changed ? [.updated(summary)] : [])
        }
    }

    /// Deletes messages older than their inbox's age limit; returns how many. One node prunes at a time:
    /// a node that finds another pruning leaves it to that one and returns 0.
    @discardableResult
    public func pruneExpired(now: Date) async throws -> Int {
        let defaultMaxAge = configuration.retention.maximumAgeSeconds
        let logger = self.logger
        return try await change { connection in
            var locked = false
            for try await acquired in try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(Self.pruningLock.0), \(Self.pruningLock.1))", logger: logger
            ).decode(Bool.self) {
                locked = acquired
            }
            guard locked else { return (0, []) }
            var limits: [(String, Int)] = []
            for try await (name, maxAge) in try await connection.query(
                "SELECT name, max_age_seconds FROM inbox ORDER BY id", logger: logger
            ).decode((String, Int64?).self) {
                guard let maxAge = maxAge.map(Int.init) ?? defaultMaxAge, maxAge > 0 else { continue }
                limits.append((name, maxAge))
            }
            var events: [StoreEvent] = []
            var count = 0
            for (name, maxAge) in limits {
                guard let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else { continue }
                let ids = try await PostgresRetention.deleteOlder(
                    than: now.addingTimeInterval(-Double(maxAge)), inboxID: inbox.id, on: connection, logger: logger)
                if !ids.isEmpty {
                    events.append(.deleted(inbox: inbox.name, ids: ids))
                    count += ids.count
                }
            }
            return (count, events)
        }
    }
}
