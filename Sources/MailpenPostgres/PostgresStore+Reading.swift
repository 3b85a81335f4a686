import Foundation
import MailpenStore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// A page of an inbox's messages matching `query`, newest first, with the totals of all matches, page
    /// and totals from one snapshot.
    public func messages(_ query: MessageQuery, limit: Int, offset: Int) async throws -> MessagePage {
        try ensureOpen()
        if query.since == nil, let search = PostgresIndexedSearch(query.search) {
            return try await messages(query, matching: search, limit: limit, offset: offset)
        }
        if query.since == nil, offset >= configuration.deepListOffset {
            return try await messages(query, matching: .wholeInbox, limit: limit, offset: offset)
        }
        return try await messagesInOneStatement(query, limit: limit, offset: offset)
    }

    /// A page and its totals from one statement (``pageStatement(_:limit:offset:)``): a plain list, a
    /// search after a marker, and for tests the answer of SQL alone to compare the row sets' with.
    func messagesInOneStatement(_ query: MessageQuery, limit: Int, offset: Int) async throws -> MessagePage {
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            try await Self.pageInOneStatement(query, limit: limit, offset: offset, on: connection, logger: logger)
        }
    }

    private static func pageInOneStatement(
        _ query: MessageQuery, limit: Int, offset: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> MessagePage {
        let statement = try pageStatement(query, limit: limit, offset: offset)
        var rows: [(Int64, Int64, MessageSummary?)] = []
        typealias Row = (
            Int64, Int64, String?, String?, Int64?, String?, String?, String?, String?, String?, Int64?, Int32?,
            Bool?, String?
        )
        for try await row in try await connection.query(statement, logger: logger).decode(Row.self) {
            let summary = SummaryColumns.decode(
                (row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13))
            rows.append((row.0, row.1, summary))
        }
        guard let first = rows.first else { throw StoreError.inboxNotFound(query.inbox) }
        return MessagePage(
            total: Int(first.0), unread: Int(first.1), offset: offset, limit: limit,
            messages: rows.compactMap(\.2))
    }

    /// A page of `query`, answered with sets of row ids (`search`) in one snapshot of the database; the
    /// terms' rows and the inbox's members are kept for the next searches. Terms that no index answers and
    /// that are not kept yet would each be a pass over every message of every inbox: a few of them, or one
    /// in an inbox small beside the database, are answered by one statement over the inbox instead.
    private func messages(
        _ query: MessageQuery, matching search: PostgresIndexedSearch, limit: Int, offset: Int
    ) async throws -> MessagePage {
        // Taken before the snapshot, so that what is brought up to date was read before it.
        let kept = await termRows.entries(for: search.keys)
        let keptMembers = await memberships.all
        let logger = self.logger
        let memberships = self.memberships
        let (page, updated) = try await pool.withConnection(retrying: true) {
            connection -> (MessagePage, [PostgresTermKey: PostgresTermReader.Entry]) in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                var found: (InboxMembers.Inbox, Int64, ReadMark)?
                let key = StoredText.cut(query.inbox.lowercased())
                for try await row in try await connection.query(
                    """
                    SELECT i.id, i.message_count, i.unread_count, i.flag_changes,
                        COALESCE((SELECT max(seq) FROM message), 0),
                        extract(epoch FROM pg_postmaster_start_time())::text, pg_current_snapshot()::text
                    FROM inbox i WHERE i.name_key = \(key)
                    """, logger: logger
                ).decode((Int64, Int64, Int64, Int64, Int64, String, String).self) {
                    found = (
                        InboxMembers.Inbox(id: row.0, messageCount: row.1, unreadCount: row.2, flagChanges: row.3),
                        row.4, ReadMark(server: row.5, snapshot: row.6)
                    )
                }
                guard let (target, largest, mark) = found else { throw StoreError.inboxNotFound(query.inbox) }
                var reader = PostgresTermReader(kept: kept, mark: mark, largest: largest)
                let unindexed = Set(search.keys.filter { $0.isReadWithoutIndex && reader.keptEntry($0) == nil }).count
                if unindexed > Self.unindexedTermsRead || (unindexed > 0 && target.messageCount * 8 < largest) {
                    let page = try await Self.pageInOneStatement(
                        query, limit: limit, offset: offset, on: connection, logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                    return (page, [:])
                }
                let (matches, loaded) = try await search.matches(
                    in: target, members: keptMembers[target.id], limit: limit, offset: offset, reading: &reader,
                    on: connection, logger: logger)
                if let loaded { await memberships.remember(loaded, of: target.id) }
                let summaries = try await SummaryColumns.fetch(
                    """
                    SELECT \(unescaped: SummaryColumns.list) FROM message m JOIN inbox i ON i.id = m.inbox_id
                    WHERE m.seq = ANY(\(matches.page)) ORDER BY m.seq DESC
                    """, on: connection, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                let page = MessagePage(
                    total: matches.total, unread: matches.unread, offset: offset, limit: limit, messages: summaries)
                return (page, reader.updated)
            } catch {
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                throw error
            }
        }
        if !updated.isEmpty { await termRows.remember(updated) }
        return page
    }

    /// How many terms that no index answers one search may read in every inbox: beyond, the search is one
    /// statement over the inbox.
    static let unindexedTermsRead = 2

    /// The statement of ``messages(_:limit:offset:)``: the inbox's totals, then one row per message of the
    /// page (one row of totals alone when the page is empty).
    static func pageStatement(_ query: MessageQuery, limit: Int, offset: Int) throws -> PostgresQuery {
        var sql = SQLBuilder()
        let key = try sql.bind(StoredText.cut(query.inbox.lowercased()))
        let limitValue = try sql.bind(Int64(max(0, limit)))
        let offsetValue = try sql.bind(Int64(max(0, offset)))
        if query.search.terms.isEmpty && query.since == nil {
            // The inbox's counters are its totals; the page is a walk down its index, which reads only the
            // index while the rows it skips are all visible, then the page's rows.
            return sql.query(
                """
                SELECT i.message_count, i.unread_count, \(SummaryColumns.list)
                FROM inbox i LEFT JOIN LATERAL (
                    SELECT m.* FROM (
                        SELECT seq FROM message WHERE inbox_id = i.id
                        ORDER BY seq DESC LIMIT \(limitValue) OFFSET \(offsetValue)
                    ) p JOIN message m ON m.seq = p.seq
                ) m ON true
                WHERE i.name_key = \(key)
                ORDER BY m.seq DESC
                """)
        }
        let search = try PostgresSearchSQL(query, into: &sql)
        return sql.query(
            """
            WITH target AS (
                SELECT id, name FROM inbox WHERE name_key = \(key)
            ), matches AS MATERIALIZED (
                SELECT s.seq, s.is_read FROM message_search s
                WHERE \(search.inboxCondition("(SELECT id FROM target)")) AND \(search.whereClause)
            ), page AS (
                SELECT seq FROM matches ORDER BY seq DESC LIMIT \(limitValue) OFFSET \(offsetValue)
            )
            SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM matches WHERE NOT is_read),
                \(SummaryColumns.list)
            FROM target i LEFT JOIN (page p JOIN message m ON m.seq = p.seq) ON true
            ORDER BY m.seq DESC
            """)
    }

    /// The summaries among `ids` (new messages) that match `query`, newest first.
    func summaries(matching query: MessageQuery, among ids: [String]) async throws -> [MessageSummary] {
        guard !ids.isEmpty else { return [] }
        var sql = SQLBuilder()
        let key = try sql.bind(StoredText.cut(query.inbox.lowercased()))
        let wanted = try sql.bind(ids.map(StoredText.cut))
        let search = try PostgresSearchSQL(query, fewRows: true, into: &sql)
        let statement = sql.query(
            """
            SELECT \(SummaryColumns.list)
            FROM message_search s JOIN message m ON m.seq = s.seq JOIN inbox i ON i.id = m.inbox_id
            WHERE s.seq IN (SELECT seq FROM message WHERE id = ANY(\(wanted)::text[]))
                AND s.inbox_id = (SELECT id FROM inbox WHERE name_key = \(key)) AND \(search.whereClause)
            ORDER BY s.seq DESC
            """)
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            try await SummaryColumns.fetch(statement, on: connection, logger: logger)
        }
    }

    /// One message's summary.
    public func summary(id: String) async throws -> MessageSummary? {
        try ensureOpen()
        return try await Self.summaries(ids: [id], pool: pool, logger: logger).first
    }

    /// A message with its envelope and exact bytes, in one read.
    public func message(id: String) async throws -> StoredMessage? {
        try ensureOpen()
        let logger = self.logger
        let found = try await pool.withConnection(retrying: true) {
            connection -> (MessageSummary, String, ByteBuffer)? in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: SummaryColumns.list), m.envelope, r.raw
                FROM message m JOIN inbox i ON i.id = m.inbox_id JOIN message_raw r ON r.seq = m.seq
                WHERE m.id = \(StoredText.cut(id))
                """, logger: logger)
            typealias Row = (
                String, String, Int64, String, String, String, String, String, Int64, Int32, Bool, String, String,
                ByteBuffer
            )
            for try await row in rows.decode(Row.self) {
                let summary = SummaryColumns.decode(
                    (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
                return (summary, row.12, row.13)
            }
            return nil
        }
        guard let (summary, envelope, raw) = found else { return nil }
        return StoredMessage(
            summary: summary, envelope: try EnvelopeJSON.decode(envelope), raw: Array(raw.readableBytesView))
    }

    /// The exact bytes of a message as received.
    public func rawMessage(id: String) async throws -> [UInt8]? {
        try ensureOpen()
        let logger = self.logger
        return try await pool.withConnection(retrying: true) { connection in
            let rows = try await connection.query(
                """
                SELECT r.raw FROM message m JOIN message_raw r ON r.seq = m.seq WHERE m.id = \(StoredText.cut(id))
                """, logger: logger)
            for try await raw in rows.decode(ByteBuffer.self) { return Array(raw.readableBytesView) }
            return nil
        }
    }

    /// The envelope a message arrived with.
    public func envelope(id: String) async throws -> MessageEnvelope? {
        try ensureOpen()
        let logger = self.logger
        let json = try await pool.withConnection(retrying: true) { connection -> String? in
            let rows = try await connection.query(
                "SELECT envelope FROM message WHERE id = \(StoredText.cut(id))", logger: logger)
            for try await envelope in rows.decode(String.self) { return envelope }
            return nil
        }
        return try json.map(EnvelopeJSON.decode)
    }

    public func envelopes(ids: [String]) async throws -> [String: MessageEnvelope] {
        try ensureOpen()
        guard !ids.isEmpty else { return [:] }
        var sql = SQLBuilder()
        let wanted = try sql.bind(ids.map(StoredText.cut))
        let statement = sql.query("SELECT id, envelope FROM message WHERE id = ANY(\(wanted)::text[])")
        let logger = self.logger
        let rows = try await pool.withConnection(retrying: true) { connection -> [(String, String)] in
            var rows: [(String, String)] = []
            for try await row in try await connection.query(statement, logger: logger).decode((String, String).self) {
                rows.append(row)
            }
            return rows
        }
        var envelopes: [String: MessageEnvelope] = [:]
        for (id, json) in rows { envelopes[id] = try EnvelopeJSON.decode(json) }
        return envelopes
    }
}
