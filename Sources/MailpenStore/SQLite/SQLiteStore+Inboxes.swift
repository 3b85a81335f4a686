import Foundation
import GRDB

extension SQLiteStore {
    private static let inboxColumns = """
        name, smtp_username, smtp_password, max_messages, max_age_seconds, routes, created_at, message_count, \
        unread_count
        """

    private static func decodeInbox(_ row: Row) -> Inbox {
        Inbox(
            name: row[0], smtpUsername: row[1], smtpPassword: row[2], maximumMessages: row[3],
            maximumAgeSeconds: row[4],
            routes: ColumnList.decodeStrings(row[5]), createdAt: Date(milliseconds: row[6]), total: row[7],
            unread: row[8])
    }

    private static func fetchInbox(id: Int64, in db: Database) throws -> Inbox? {
        try Row.fetchOne(db, sql: "SELECT \(inboxColumns) FROM inbox WHERE id = ?", arguments: [id]).map(decodeInbox)
    }

    /// Every inbox, `default` first, then by name.
    public func inboxes() async throws -> [Inbox] {
        try ensureOpen()
        return try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.inboxColumns) FROM inbox ORDER BY name <> 'default', name COLLATE NOCASE"
            ).map(Self.decodeInbox)
        }
    }

    /// The inbox with this name (case-insensitive), if any.
    public func inbox(named name: String) async throws -> Inbox? {
        try ensureOpen()
        return try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.inboxColumns) FROM inbox WHERE name = ?", arguments: [name])
                .map(Self.decodeInbox)
        }
    }

    /// Creates an inbox; a missing password is generated.
    public func createInbox(
        named name: String, password: String? = nil, maximumMessages: Int? = nil, maximumAgeSeconds: Int? = nil,
        routes: [String] = []
    ) async throws -> Inbox {
        guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
        try StoreValidation.validate(routes: routes)
        let password = password ?? Inbox.makePassword()
        try ensureOpen()
        return try await writer.perform { db in
            if try InboxReference.find(name, in: db) != nil { throw StoreError.inboxExists(name) }
            let reference = try InboxReference.create(
                name, password: password, maximumMessages: maximumMessages, maximumAgeSeconds: maximumAgeSeconds,
                in: db, at: Date())
            try db.execute(
                sql: "UPDATE inbox SET routes = ? WHERE id = ?", arguments: [ColumnList.encode(routes), reference.id])
            guard let inbox = try Self.fetchInbox(id: reference.id, in: db) else {
                throw StoreError.inboxNotFound(name)
            }
            return (inbox, [.inbox(name: name, change: .created)])
        }
    }

    /// Changes an inbox's settings and applies its new retention limit at once.
    public func updateInbox(named name: String, _ update: InboxUpdate) async throws -> Inbox {
        if let routes = update.routes { try StoreValidation.validate(routes: routes) }
        let defaults = configuration.retention
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            if let password = update.password {
                try db.execute(sql: "UPDATE inbox SET smtp_password = ? WHERE id = ?", arguments: [password, inbox.id])
            }
            if let maximumMessages = update.maximumMessages {
                try db.execute(
                    sql: "UPDATE inbox SET max_messages = ? WHERE id = ?", arguments: [maximumMessages, inbox.id])
            }
            if let maximumAge = update.maximumAgeSeconds {
                try db.execute(
                    sql: "UPDATE inbox SET max_age_seconds = ? WHERE id = ?", arguments: [maximumAge, inbox.id])
            }
            if let routes = update.routes {
                try db.execute(
                    sql: "UPDATE inbox SET routes = ? WHERE id = ?", arguments: [ColumnList.encode(routes), inbox.id])
            }
            var events: [StoreEvent] = [.inbox(name: inbox.name, change: .updated)]
            if let pruned = try Retention.pruneByCount(
                inboxID: inbox.id, defaultLimit: defaults.maximumMessages, in: db)
            {
                events.append(pruned)
            }
            if let maximumAge = update.maximumAgeSeconds ?? nil {
                let cutoff = Date().addingTimeInterval(-Double(maximumAge))
                if let pruned = try Retention.pruneByAge(inboxID: inbox.id, name: inbox.name, olderThan: cutoff, in: db)
                {
                    events.append(pruned)
                }
            }
            guard let changed = try Self.fetchInbox(id: inbox.id, in: db) else { throw StoreError.inboxNotFound(name) }
            return (changed, events)
        }
    }

    /// Deletes an inbox with all its mail. `default` cannot be deleted.
    public func deleteInbox(named name: String) async throws {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            if inbox.name.lowercased() == Inbox.defaultName { throw StoreError.cannotDeleteDefaultInbox }
            try db.execute(sql: "DELETE FROM message WHERE inbox_id = ?", arguments: [inbox.id])
            try db.execute(sql: "DELETE FROM inbox WHERE id = ?", arguments: [inbox.id])
            return ((), [.inbox(name: inbox.name, change: .deleted)])
        }
    }

    /// Deletes every message of an inbox; returns how many.
    @discardableResult
    public func clearInbox(named name: String) async throws -> Int {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
            try db.execute(sql: "DELETE FROM message WHERE inbox_id = ?", arguments: [inbox.id])
            let count = db.changesCount
            try db.execute(
                sql: "UPDATE inbox SET message_count = 0, unread_count = 0 WHERE id = ?", arguments: [inbox.id])
            return (count, [.cleared(inbox: inbox.name)])
        }
    }
}
