import Foundation
import GRDB

extension SQLiteStore {
    /// Deletes one message.
    public func deleteMessage(id: String) async throws {
        try ensureOpen()
        return try await writer.perform { db in
            guard
                let inboxName = try String.fetchOne(
                    db, sql: "SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?",
                    arguments: [id])
            else { throw StoreError.messageNotFound(id) }
            let ids = try Retention.deleteMessages(db, where: "id = ?", arguments: [id])
            return ((), [.deleted(inbox: inboxName, ids: ids)])
        }
    }

    /// Deletes an inbox's messages matching `query` (all of them for an empty search); returns how many.
    @discardableResult
    public func deleteMessages(_ query: MessageQuery) async throws -> Int {
        if query.search.terms.isEmpty && query.since == nil { return try await clearInbox(named: query.inbox) }
        try ensureOpen()
        // The search runs on a reader (which sees the search index); the writer then deletes what it found.
        let (inboxName, targets) = try await database.read { db -> (String, [Int64]) in
            let inbox = try MessageSQL.inboxReference(query.inbox, in: db)
            let (from, clause, arguments, _) = MessageSQL.sql(for: query, inboxID: inbox.id)
            return (
                inbox.name,
                try Int64.fetchAll(db, sql: "SELECT m.seq FROM \(from) WHERE \(clause)", arguments: arguments)
            )
        }
        guard !targets.isEmpty else { return 0 }
        return try await writer.perform { db in
            var ids: [String] = []
            for start in stride(from: 0, to: targets.count, by: 500) {
                let chunk = Array(targets[start..<min(start + 500, targets.count)])
                ids += try Retention.deleteMessages(
                    db, where: "seq IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(chunk))
            }
            return (ids.count, ids.isEmpty ? [] : [.deleted(inbox: inboxName, ids: ids)])
        }
    }

    /// Changes a message's read flag and/or tags; returns the new summary.
    @discardableResult
    public func update(id: String, isRead: Bool?, tags: [String]?) async throws -> MessageSummary {
        if let tags { try StoreValidation.validate(tags: tags) }
        try ensureOpen()
        return try await writer.perform { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT seq, inbox_id, is_read, tags FROM message WHERE id = ?", arguments: [id])
            else { throw StoreError.messageNotFound(id) }
            let seq: Int64 = row[0]
            let inboxID: Int64 = row[1]
            let wasRead: Bool = row[2]
            let oldTags: String = row[3]
            var changed = false
            if let isRead, isRead != wasRead {
                try db.execute(sql: "UPDATE message SET is_read = ? WHERE seq = ?", arguments: [isRead, seq])
                try db.execute(
                    sql: "UPDATE inbox SET unread_count = unread_count + ? WHERE id = ?",
                    arguments: [isRead ? -1 : 1, inboxID])
                changed = true
            }
            if let tags {
                let unique = StoreValidation.unique(tags)
                let encoded = ColumnList.encode(unique)
                if encoded != oldTags {
                    try db.execute(sql: "UPDATE message SET tags = ? WHERE seq = ?", arguments: [encoded, seq])
                    try db.execute(sql: "DELETE FROM message_tag WHERE seq = ?", arguments: [seq])
                    for tag in Set(unique.map(SearchFolding.fold)) {
                        try db.execute(sql: "INSERT INTO message_tag (tag, seq) VALUES (?, ?)", arguments: [tag, seq])
                    }
                    changed = true
                }
            }
            guard let summary = try MessageSQL.summary(id: id, in: db) else { throw StoreError.messageNotFound(id) }
            return (summary, changed ? [.updated(summary)] : [])
        }
    }
}
