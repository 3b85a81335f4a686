import Foundation
import GRDB

/// The SQL that reads messages, shared by the store's reads and the wait matcher: a query compiled for
/// one inbox, summaries by row, by range of rows or by id.
enum MessageSQL {
    /// The SQL of a query, given the inbox's row id: the FROM clause, the WHERE condition with its
    /// arguments, and the column that orders newest first.
    static func sql(for query: MessageQuery, inboxID: Int64) -> (
        from: String, clause: String, arguments: StatementArguments, order: String
    ) {
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

    static func inboxReference(_ name: String, in db: Database) throws -> InboxReference {
        guard let inbox = try InboxReference.find(name, in: db) else { throw StoreError.inboxNotFound(name) }
        return inbox
    }

    /// The row ids of a page of an inbox's plain list, newest first; arguments: the inbox's row id, the
    /// limit and the offset.
    static let inboxPageRows = "SELECT seq FROM message WHERE inbox_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?"

    /// The summaries of messages by row id, in the order given.
    static func summaries(rows: [Int64], in db: Database) throws -> [MessageSummary] {
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

    /// The summaries of the inbox's messages with row ids in `rows` that match `query`, for the wait matcher:
    /// the SQL depends only on the shape of the query, so its statement is kept and reused for every batch.
    static func summaries(matching query: MessageQuery, inRows rows: ClosedRange<Int64>, in db: Database) throws
        -> [MessageSummary]
    {
        try summaries(
            matching: query, in: db, keepingStatement: true, bound: [rows.lowerBound, rows.upperBound],
            bounding: rowRange)
    }

    /// The bound on the rows of ``summaries(matching:inRows:in:)``.
    static func rowRange(_ order: String) -> String { "\(order) BETWEEN ? AND ?" }

    /// The summaries of the inbox's messages that match `query` and a bound on the rows, written by `bounding`
    /// for the column that orders them (the driving table's row id) with the arguments `bound`.
    static func summaries(
        matching query: MessageQuery, in db: Database, keepingStatement: Bool, bound: StatementArguments,
        bounding: (_ order: String) -> String
    ) throws -> [MessageSummary] {
        let inbox = try inboxReference(query.inbox, in: db)
        let (sql, arguments) = summariesSQL(for: query, inboxID: inbox.id, bounding: bounding)
        let statement = keepingStatement ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: arguments + bound).map(SummaryRow.decode)
    }

    /// The SQL of ``summaries(matching:in:keepingStatement:bound:bounding:)`` for the inbox numbered `inboxID`,
    /// and its arguments before the bound's.
    static func summariesSQL(
        for query: MessageQuery, inboxID: Int64, bounding: (_ order: String) -> String
    ) -> (sql: String, arguments: StatementArguments) {
        let (from, clause, arguments, order) = sql(for: query, inboxID: inboxID)
        let sql = """
            SELECT \(SummaryRow.columns) FROM \(from) JOIN inbox i ON i.id = m.inbox_id
            WHERE \(clause) AND \(bounding(order))
            ORDER BY m.seq DESC
            """
        return (sql, arguments)
    }

    static func summary(id: String, in db: Database) throws -> MessageSummary? {
        try Row.fetchOne(
            db,
            sql: "SELECT \(SummaryRow.columns) FROM message m JOIN inbox i ON i.id = m.inbox_id WHERE m.id = ?",
            arguments: [id]
        ).map(SummaryRow.decode)
    }
}
