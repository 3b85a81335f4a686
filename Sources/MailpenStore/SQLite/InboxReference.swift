import Foundation
import GRDB
import Logging
import NIOCore

/// An inbox's id and canonical name, as the writer needs them.
package struct InboxReference: Sendable {
    package var id: Int64
    package var name: String

    package init(id: Int64, name: String) {
        self.id = id
        self.name = name
    }

    static func find(_ name: String, in db: Database) throws -> InboxReference? {
        let statement = try db.cachedStatement(sql: "SELECT id, name FROM inbox WHERE name = ?")
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { return nil }
        return InboxReference(id: row[0], name: row[1])
    }

    static func create(
        _ name: String, password: String, maximumMessages: Int? = nil, maximumAgeSeconds: Int? = nil, in db: Database,
        at date: Date
    ) throws -> InboxReference {
        try db.execute(
            sql: """
                INSERT INTO inbox (name, smtp_username, smtp_password, max_messages, max_age_seconds, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [name, name, password, maximumMessages, maximumAgeSeconds, date.milliseconds])
        return InboxReference(id: db.lastInsertedRowID, name: name)
    }
}
