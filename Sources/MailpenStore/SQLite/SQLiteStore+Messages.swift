import Foundation
import GRDB

extension SQLiteStore {
    /// The SQL of a query, given the inbox's row id: the FROM clause, the WHERE condition with its
    /// arguments, and the column that orders newest first.
    private static func sql(for query: MessageQuery, inboxID: Int64) -> (from: String, clause: String, arguments: StatementArguments, order: String) {
        let search = SearchSQL(query.search)
        var clause = "\(search.whereClause) AND m.inbox_id = ?"
        var arguments = search.arguments
        arguments += [inboxID]
        switch query.since {
        case .time(let date):
            clause += " AND m.received_at > ?"
            arguments += [date.milliseconds]
        case .message(let id):
            clause += " AND m.id > ?"
            arguments += [id]
        case nil:
            break
        }
        return (search.from, clause, arguments, search.order)
    }

    private static func inboxReference(_ name: String, in db: Database) throws -> InboxReference {
        guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
        return inbox
    }

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
            let inbox = try Self.inboxReference(query.inbox, in: db)
            let (from, clause, arguments, order) = Self.sql(for: query, inboxID: inbox.id)
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
                let counted = from.replacingOccurrences(of: "JOIN message m ON", with: "JOIN message m INDEXED BY message_membership ON")
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
            let inbox = try Self.inboxReference(name, in: db)
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
                rows = try Int64.fetchAll(
                    db, sql: "SELECT seq FROM message WHERE inbox_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                    arguments: [inbox.id, limit, offset])
            }
            let page = MessagePage(
                total: total, unread: unread, offset: offset, limit: limit, messages: try Self.summaries(rows: rows, in: db))
            return (page, current)
        }
        if let current { await inboxRows.remember(current, of: name) }
        return page
    }

    /// A page of an index-only search, with the inbox's membership from the cache when nothing has been
    /// committed since it was read.
    private func messages(
        matching search: IndexedSearch, inInbox name: String, limit: Int, offset: Int
    ) async throws -> MessagePage {
        let generation = commits.current
        let cached = await memberships.membership(of: name, at: generation)
        let (page, inboxID, loaded) = try await database.read { db in
            let inbox = try Self.inboxReference(name, in: db)
            let known = cached.flatMap { $0.inboxID == inbox.id ? $0.membership : nil }
            let (matches, loaded) = try search.matches(
                inboxID: inbox.id, indexSchema: "search.", membership: known, in: db)
            let page = MessagePage(
                total: matches.total, unread: matches.unread, offset: offset, limit: limit,
                messages: try Self.summaries(rows: matches.page(limit: limit, offset: offset), in: db))
            return (page, inbox.id, loaded)
        }
        if let loaded { await memberships.remember(loaded, of: name, inboxID: inboxID, at: generation) }
        return page
    }

    /// The summaries of messages by row id, in the order given.
    private static func summaries(rows: [Int64], in db: Database) throws -> [MessageSummary] {
        var summaries: [MessageSummary] = []
        summaries.reserveCapacity(rows.count)
        // In chunks: SQLite takes a limited number of parameters per statement.
        for start in stride(from: 0, to: rows.count, by: 500) {
            let chunk = rows[start..<min(start + 500, rows.count)]
            let placeholders = databaseQuestionMarks(count: chunk.count)
            summaries += try Row.fetchAll(
                db,
                sql: """
                    SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id
                    WHERE m.seq IN (\(placeholders)) ORDER BY m.seq DESC
                    """,
                arguments: StatementArguments(Array(chunk))
            ).map(SummaryRow.decode)
        }
        return summaries
    }

    /// The summaries among `ids` (new messages) that match `query`.
    func summaries(matching query: MessageQuery, among ids: [String]) async throws -> [MessageSummary] {
        guard !ids.isEmpty else { return [] }
        let placeholders = databaseQuestionMarks(count: ids.count)
        let bound = StatementArguments(ids + ids)
        return try await database.read { db in
            // The rows are new: bounding the driving table's row id lets the index skip all older entries.
            try Self.summaries(matching: query, in: db, keepingStatement: false, bound: bound) { order in
                "m.id IN (\(placeholders)) AND \(order) >= (SELECT MIN(seq) FROM message WHERE id IN (\(placeholders)))"
            }
        }
    }

    /// The summaries of the inbox's messages with row ids in `rows` that match `query`, for the wait matcher:
    /// the SQL depends only on the shape of the query, so its statement is kept and reused for every batch.
    static func summaries(matching query: MessageQuery, inRows rows: ClosedRange<Int64>, in db: Database) throws -> [MessageSummary] {
        try summaries(matching: query, in: db, keepingStatement: true, bound: [rows.lowerBound, rows.upperBound]) { order in
            "\(order) BETWEEN ? AND ?"
        }
    }

    /// The summaries of the inbox's messages that match `query` and a bound on the rows, written by `bounding`
    /// for the column that orders them (the driving table's row id) with the arguments `bound`.
    private static func summaries(
        matching query: MessageQuery, in db: Database, keepingStatement: Bool, bound: StatementArguments,
        bounding: (_ order: String) -> String
    ) throws -> [MessageSummary] {
        let inbox = try Self.inboxReference(query.inbox, in: db)
        let (from, clause, arguments, order) = Self.sql(for: query, inboxID: inbox.id)
        let sql = """
            SELECT \(SummaryRow.columns) FROM \(from) JOIN inbox i ON i.id = m.inbox_id
            WHERE \(clause) AND \(bounding(order))
            ORDER BY m.seq DESC
            """
        let statement = keepingStatement ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: arguments + bound).map(SummaryRow.decode)
    }

    /// One message's summary.
    public func summary(id: String) async throws -> MessageSummary? {
        try ensureOpen()
        return try await database.read { db in try Self.summary(id: id, in: db) }
    }

    private static func summary(id: String, in db: Database) throws -> MessageSummary? {
        try Row.fetchOne(
            db,
            sql: "SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?",
            arguments: [id]
        ).map(SummaryRow.decode)
    }

    /// A message with its envelope and exact bytes, in one read.
    public func message(id: String) async throws -> StoredMessage? {
        try ensureOpen()
        let row = try await database.read { db -> (MessageSummary, String, Data)? in
            guard let summary = try Self.summary(id: id, in: db),
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT m.envelope, r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?",
                    arguments: [id])
            else { return nil }
            return (summary, row[0], row[1])
        }
        guard let (summary, envelopeJSON, raw) = row else { return nil }
        return StoredMessage(summary: summary, envelope: try Self.envelope(fromJSON: envelopeJSON), raw: [UInt8](raw))
    }

    /// The exact bytes of a message as received.
    public func rawMessage(id: String) async throws -> [UInt8]? {
        try ensureOpen()
        return try await database.read { db in
            let data = try Data.fetchOne(
                db,
                sql: "SELECT r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = ?",
                arguments: [id])
            return data.map { [UInt8]($0) }
        }
    }

    /// The envelope a message arrived with.
    public func envelope(id: String) async throws -> MessageEnvelope? {
        try ensureOpen()
        let json = try await database.read { db in
            try String.fetchOne(db, sql: "SELECT envelope FROM message WHERE id = ?", arguments: [id])
        }
        guard let json else { return nil }
        return try Self.envelope(fromJSON: json)
    }

    /// Reads back the envelope column that ``EnvelopeJSON`` wrote.
    private static func envelope(fromJSON json: String) throws -> MessageEnvelope {
        try JSONDecoder().decode(MessageEnvelope.self, from: Data(json.utf8))
    }

    /// Deletes one message.
    public func deleteMessage(id: String) async throws {
        try ensureOpen()
        return try await writer.perform { db in
            guard let inboxName = try String.fetchOne(
                db, sql: "SELECT i.name FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?", arguments: [id])
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
            let inbox = try Self.inboxReference(query.inbox, in: db)
            let (from, clause, arguments, _) = Self.sql(for: query, inboxID: inbox.id)
            return (inbox.name, try Int64.fetchAll(db, sql: "SELECT m.seq FROM \(from) WHERE \(clause)", arguments: arguments))
        }
        guard !targets.isEmpty else { return 0 }
        return try await writer.perform { db in
            var ids: [String] = []
            for start in stride(from: 0, to: targets.count, by: 500) {
                let chunk = Array(targets[start..<min(start + 500, targets.count)])
                ids += try Retention.deleteMessages(
                    db, where: "seq IN (\(databaseQuestionMarks(count: chunk.count)))", arguments: StatementArguments(chunk))
            }
            return (ids.count, ids.isEmpty ? [] : [.deleted(inbox: inboxName, ids: ids)])
        }
    }

    /// Changes a message's read flag and/or tags; returns the new summary.
    @discardableResult
    public func update(id: String, isRead: Bool?, tags: [String]?) async throws -> MessageSummary {
        if let tags {
            guard tags.count <= StoreLimits.maximumTagsPerMessage else { throw StoreError.tooManyTags(tags.count) }
            for tag in tags
            where tag.unicodeScalars.isEmpty || tag.unicodeScalars.count > StoreLimits.maximumTagLength
                || tag.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            {
                throw StoreError.invalidTag(tag)
            }
        }
        try ensureOpen()
        return try await writer.perform { db in
            guard let row = try Row.fetchOne(
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
                var unique: [String] = []
                for tag in tags where !unique.contains(tag) { unique.append(tag) }
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
            guard let summary = try Self.summary(id: id, in: db) else { throw StoreError.messageNotFound(id) }
            return (summary, changed ? [.updated(summary)] : [])
        }
    }

    /// Deletes messages older than the age limits; returns how many.
    @discardableResult
    public func pruneExpired(now: Date = Date()) async throws -> Int {
        let maxAge = configuration.retention.maxAgeSeconds
        try ensureOpen()
        return try await writer.perform { db in
            let events = try Retention.pruneByAge(defaultMaxAge: maxAge, now: now, in: db)
            let count = events.reduce(0) { total, event in
                if case .deleted(_, let ids) = event { return total + ids.count }
                return total
            }
            return (count, events)
        }
    }
}
