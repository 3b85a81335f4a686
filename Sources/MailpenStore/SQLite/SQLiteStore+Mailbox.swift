import Foundation
import GRDB

extension SQLiteStore {
    /// The inbox's messages with a UID above `afterUID`, oldest first. The UID is the message's row number,
    /// which `AUTOINCREMENT` never hands out twice; UIDVALIDITY is the second the inbox was created in.
    public func mailbox(named name: String, afterUID: Int64) async throws -> Mailbox? {
        try ensureOpen()
        return try await database.read { db -> Mailbox? in
            guard
                let inbox = try Row.fetchOne(
                    db, sql: "SELECT id, name, created_at FROM inbox WHERE name = ?", arguments: [name])
            else { return nil }
            let inboxID: Int64 = inbox[0]
            let createdAt: Int64 = inbox[2]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, id, size, received_at, is_read, tags FROM message
                    WHERE inbox_id = ? AND seq > ? ORDER BY seq
                    """,
                arguments: [inboxID, afterUID])
            var messages: [MailboxMessage] = []
            while let row = try rows.next() {
                messages.append(
                    MailboxMessage(
                        uid: row[0], id: row[1], size: row[2], receivedAt: Date(milliseconds: row[3]),
                        isRead: row[4], tags: ColumnList.decodeStrings(row[5])))
            }
            let seconds = max(1, min(createdAt / 1000, Int64(UInt32.max)))
            return Mailbox(inbox: inbox[1], uidValidity: UInt32(seconds), messages: messages)
        }
    }
}
