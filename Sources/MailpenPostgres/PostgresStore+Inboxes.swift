import Foundation
import MailpenStore
import PostgresNIO

extension PostgresStore {
    /// Every inbox, `default` first, then by name.
    public func inboxes() async throws -> [Inbox] {
        try ensureOpen()
        return try await pool.withConnection(retrying: true) { [self] connection in
            var inboxes: [Inbox] = []
            let rows = try await connection.query(
                """
                SELECT \(unescaped: PostgresInboxes.columns) FROM inbox
                ORDER BY name <> \(Inbox.defaultName), name_key
                """, logger: logger)
            for try await row in rows.decode(PostgresInboxes.Row.self) { inboxes.append(PostgresInboxes.decode(row)) }
            return inboxes
        }
    }

    /// The inbox with this name (case-insensitive), if any.
    public func inbox(named name: String) async throws -> Inbox? {
        try ensureOpen()
        return try await pool.withConnection(retrying: true) { [self] connection in
            try await Self.fetchInbox(key: name.lowercased(), on: connection, logger: logger)
        }
    }

    static func fetchInbox(key: String, on connection: PostgresConnection, logger: Logger) async throws -> Inbox? {
        let rows = try await connection.query(
            "SELECT \(unescaped: PostgresInboxes.columns) FROM inbox WHERE name_key = \(StoredText.cut(key))",
            logger: logger)
        for try await row in rows.decode(PostgresInboxes.Row.self) { return PostgresInboxes.decode(row) }
        return nil
    }

    /// Creates an inbox; a missing password is generated.
    public func createInbox(
        named name: String, password: String?, maximumMessages: Int?, maximumAgeSeconds: Int?, routes: [String]
    ) async throws -> Inbox {
        guard Inbox.isValidName(name) else { throw StoreError.invalidInboxName(name) }
        try StoreValidation.validate(routes: routes)
        let password = password ?? Inbox.makePassword()
        let logger = self.logger
        return try await change { connection in
            let (_, created) = try await PostgresInboxes.create(
                name, password: password, maximumMessages: maximumMessages, maximumAgeSeconds: maximumAgeSeconds,
                routes: routes,
                at: Date(), on: connection, logger: logger)
            guard created else { throw StoreError.inboxExists(name) }
            guard let inbox = try await Self.fetchInbox(key: name.lowercased(), on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(name)
            }
            return (inbox, [.inbox(name: name, change: .created)])
        }
    }

    /// Changes an inbox's settings and applies its new retention limit at once.
    public func updateInbox(named name: String, _ update: InboxUpdate) async throws -> Inbox {
        if let routes = update.routes { try StoreValidation.validate(routes: routes) }
        let defaults = configuration.retention
        let logger = self.logger
        return try await change { connection in
            guard let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(name)
            }
            if let password = update.password {
                try await connection.run(
                    "UPDATE inbox SET smtp_password = \(StoredText.cut(password)) WHERE id = \(inbox.id)",
                    logger: logger)
            }
            if let maximumMessages = update.maximumMessages {
                try await connection.run(
                    "UPDATE inbox SET max_messages = \(maximumMessages.map(Int64.init)) WHERE id = \(inbox.id)",
                    logger: logger)
            }
            if let maxAge = update.maximumAgeSeconds {
                try await connection.run(
                    "UPDATE inbox SET max_age_seconds = \(maxAge.map(Int64.init)) WHERE id = \(inbox.id)",
                    logger: logger)
            }
            if let routes = update.routes {
                try await connection.run(
                    "UPDATE inbox SET routes = \(ColumnList.encode(routes)) WHERE id = \(inbox.id)", logger: logger)
            }
            var events: [StoreEvent] = [.inbox(name: inbox.name, change: .updated)]
            guard let current = try await Self.fetchInbox(key: inbox.name.lowercased(), on: connection, logger: logger)
            else { throw StoreError.inboxNotFound(name) }
            let limit = current.maximumMessages ?? defaults.maximumMessages
            if limit > 0, current.total > limit {
                let ids = try await PostgresRetention.deleteOldest(
                    Int64(current.total - limit), inboxID: inbox.id, on: connection, logger: logger)
                if !ids.isEmpty { events.append(.deleted(inbox: inbox.name, ids: ids)) }
            }
            if let maxAge = update.maximumAgeSeconds ?? nil {
                let cutoff = Date().addingTimeInterval(-Double(maxAge))
                let ids = try await PostgresRetention.deleteOlder(
                    than: cutoff, inboxID: inbox.id, on: connection, logger: logger)
                if !ids.isEmpty { events.append(.deleted(inbox: inbox.name, ids: ids)) }
            }
            guard let changed = try await Self.fetchInbox(key: inbox.name.lowercased(), on: connection, logger: logger)
            else { throw StoreError.inboxNotFound(name) }
            return (changed, events)
        }
    }

    /// Deletes an inbox with all its mail. `default` cannot be deleted.
    public func deleteInbox(named name: String) async throws {
        let logger = self.logger
        try await change { connection in
            guard let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(name)
            }
            if inbox.name.lowercased() == Inbox.defaultName { throw StoreError.cannotDeleteDefaultInbox }
            try await connection.run("DELETE FROM message WHERE inbox_id = \(inbox.id)", logger: logger)
            try await connection.run("DELETE FROM inbox WHERE id = \(inbox.id)", logger: logger)
            return ((), [.inbox(name: inbox.name, change: .deleted)])
        }
    }

    /// Deletes every message of an inbox; returns how many.
    @discardableResult
    public func clearInbox(named name: String) async throws -> Int {
        let logger = self.logger
        return try await change { connection in
            guard let inbox = try await PostgresInboxes.lock(name, on: connection, logger: logger) else {
                throw StoreError.inboxNotFound(name)
            }
            var count = 0
            let rows = try await connection.query(
                """
                WITH gone AS (DELETE FROM message WHERE inbox_id = \(inbox.id) RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger)
            for try await deleted in rows.decode(Int64.self) { count = Int(deleted) }
            try await connection.run(
                "UPDATE inbox SET message_count = 0, unread_count = 0 WHERE id = \(inbox.id)", logger: logger)
            return (count, [.cleared(inbox: inbox.name)])
        }
    }
}
