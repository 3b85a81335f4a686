import Foundation
import MailpenStore
import PostgresNIO

extension PostgresStore {
    /// The inbox's messages with a UID above `afterUID`, oldest first. The UID is the message's `seq`, which
    /// one sequence hands out for every node and never twice; UIDVALIDITY is the second the inbox was created
    /// in.
    public func mailbox(named name: String, afterUID: Int64) async throws -> Mailbox? {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection -> Mailbox? in
            var found: (id: Int64, name: String, createdAt: Int64)?
            let inboxes = try await connection.query(
                "SELECT id, name, created_at FROM inbox WHERE name_key = \(StoredText.cut(name.lowercased()))",
                logger: logger)
            for try await row in inboxes.decode((Int64, String, Int64).self) { found = (row.0, row.1, row.2) }
            guard let inbox = found else { return nil }
            var messages: [MailboxMessage] = []
            let rows = try await connection.query(
                """
                SELECT seq, id, size, received_at, is_read, tags FROM message
                WHERE inbox_id = \(inbox.id) AND seq > \(afterUID) ORDER BY seq
                """, logger: logger)
            for try await row in rows.decode((Int64, String, Int64, Int64, Bool, String).self) {
                messages.append(
                    MailboxMessage(
                        uid: row.0, id: row.1, size: Int(row.2), receivedAt: Date(milliseconds: row.3),
                        isRead: row.4, tags: ColumnList.decodeStrings(row.5)))
            }
            let seconds = max(1, min(inbox.createdAt / 1000, Int64(UInt32.max)))
            return Mailbox(inbox: inbox.name, uidValidity: UInt32(seconds), messages: messages)
        }
    }
}
