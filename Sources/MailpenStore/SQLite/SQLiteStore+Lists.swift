import Foundation
import GRDB

extension SQLiteStore {
    /// A page of an inbox's messages matching `query`, newest first, with the totals of all matches.
    public func messages(_ query: MessageQuery, limit: Int = 50, offset: Int = 0) async throws -> MessagePage {
        try ensureOpen()
        if query.since == nil, let search = IndexedSearch(query.search) {
            return try await messages(matching: search, inInbox: query.inbox, limit: limit, offset: offset)
        }
        if query.search.terms.isEmpty && query.since == nil {
            return try await plainPage(of: query.inbox, limit: limit, offset: offset)
        }
        return try await database.read { db in
            let inbox = try MessageSQL.inboxReference(query.inbox, in: db)
            let (from, clause, arguments, order) = MessageSQL.sql(for: query, inboxID: inbox.id)
            var pageArguments = arguments
            pageArguments += [limit, offset]
            let messages = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SummaryRow.columns) FROM \(from) JOIN inbox i ON i.id = m.inbox_id
                    WHERE \(clause) ORDER BY \(order) DESC LIMIT ? OFFSET ?
                    """,
                arguments: pageArguments
            ).map(SummaryRow.decode)
            let total: Int
            let unread: Int
            if offset == 0 && messages.count < limit {
                total = messages.count
                unread = messages.filter { !$0.isRead }.count
            } else {
                // Counting needs only inbox and read flag: the narrow index answers that faster than the rows.
                let counted = from.replacingOccurrences(
                    of: "JOIN message m ON", with: "JOIN message m INDEXED BY message_membership ON")
                let counts = try Row.fetchOne(
                    db,
                    sql: "SELECT COUNT(*), COALESCE(SUM(m.is_read = 0), 0) FROM \(counted) WHERE \(clause)",
                    arguments: arguments)
                total = counts?[0] ?? 0
                unread = counts?[1] ?? 0
            }
            return MessagePage(total: total, unread: unread, offset: offset, limit: limit, messages: messages)
        }
    }

    /// A page of an inbox's plain list, newest first. Near the top, rows are skipped in the inbox's index
    /// alone, without visiting a message row; deeper, where that takes milliseconds, the page is picked from
    /// the inbox's rows, kept between requests and brought up to date in this one's snapshot.
    private func plainPage(of name: String, limit: Int, offset: Int) async throws -> MessagePage {
        let isDeep = offset >= configuration.deepListOffset
        let cached = isDeep ? await inboxRows.rows(of: name) : nil
        let (page, current) = try await database.read { db -> (MessagePage, InboxRows?) in
            let inbox = try MessageSQL.inboxReference(name, in: db)
            let counts = try Row.fetchOne(
                db, sql: "SELECT message_count, unread_count FROM inbox WHERE id = ?", arguments: [inbox.id])
            let total: Int = counts?[0] ?? 0
            let unread: Int = counts?[1] ?? 0
            var current: InboxRows?
            let rows: [Int64]
            if isDeep {
                let known = try InboxRows.current(cached, inboxID: inbox.id, messageCount: total, in: db)
                rows = known.rows.largest(limit, skipping: offset)
                current = known
            } else {
                rows = try Int64.fetchAll(db, sql: MessageSQL.inboxPageRows, arguments: [inbox.id, limit, offset])
            }
            let page = MessagePage(
                total: total, unread: unread, offset: offset, limit: limit,
                messages: try MessageSQL.summaries(rows: rows, in: db))
            return (page, current)
        }
        if let current { await inboxRows.remember(current, of: name) }
        return page
    }

    /// A page of a search answered with row-id sets, with the inbox's membership (and columns) from the
    /// cache when nothing has been committed since it was read.
    private func messages(
        matching search: IndexedSearch, inInbox name: String, limit: Int, offset: Int
    ) async throws -> MessagePage {
        let generation = commits.current
        let cached = await memberships.membership(of: name, at: generation)
        let kept = await termRows.entries(for: search.cacheKeys)
        let (page, inboxID, loaded, updated) = try await database.read { db in
            let inbox = try MessageSQL.inboxReference(name, in: db)
            let known = cached.flatMap { $0.inboxID == inbox.id ? $0.membership : nil }
            var reader = TermReader(indexSchema: "search.", kept: kept)
            let (matches, loaded) = try search.matches(
                inboxID: inbox.id, membership: known, reading: &reader, in: db)
            let page = MessagePage(
                total: matches.total, unread: matches.unread, offset: offset, limit: limit,
                messages: try MessageSQL.summaries(rows: matches.page(limit: limit, offset: offset), in: db))
            return (page, inbox.id, loaded, reader.updated)
        }
        if let loaded { await memberships.remember(loaded, of: name, inboxID: inboxID, at: generation) }
        if !updated.isEmpty { await termRows.remember(updated) }
        return page
    }

    /// The summaries among `ids` (new messages) that match `query`.
    func summaries(matching query: MessageQuery, among ids: [String]) async throws -> [MessageSummary] {
        guard !ids.isEmpty else { return [] }
        let placeholders = databaseQuestionMarks(count: ids.count)
        let bound = StatementArguments(ids + ids)
        return try await database.read { db in
            // The rows are new: bounding the driving table's row id lets the index skip all older entries.
            try MessageSQL.summaries(matching: query, in: db, keepingStatement: false, bound: bound) { order in
                "m.id IN (\(placeholders)) AND \(order) >= (SELECT MIN(seq) FROM message WHERE id IN (\(placeholders)))"
            }
        }
    }
}
