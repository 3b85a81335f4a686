import Foundation
import MailpenStore
import PostgresNIO

/// The columns a ``MessageSummary`` is read from (over `message m JOIN inbox i`), and how.
enum SummaryColumns {
    static let list = """
        m.id, i.name, m.received_at, m.from_list, m.to_list, m.cc_list, m.subject, m.snippet, m.size, \
        m.attachment_count, m.is_read, m.tags
        """

    typealias Row = (String, String, Int64, String, String, String, String, String, Int64, Int32, Bool, String)
    /// The same columns from the optional side of an outer join.
    typealias OptionalRow = (
        String?, String?, Int64?, String?, String?, String?, String?, String?, Int64?, Int32?, Bool?, String?
    )

    static func decode(_ row: Row) -> MessageSummary {
        MessageSummary(
            id: row.0, inbox: row.1, receivedAt: Date(milliseconds: row.2),
            from: ColumnList.decodeAddresses(row.3).first, to: ColumnList.decodeAddresses(row.4),
            cc: ColumnList.decodeAddresses(row.5), subject: row.6, snippet: row.7, size: Int(row.8),
            attachmentCount: Int(row.9), isRead: row.10, tags: ColumnList.decodeStrings(row.11))
    }

    /// The summary of an outer join's row, or `nil` when the row has none.
    static func decode(_ row: OptionalRow) -> MessageSummary? {
        guard let id = row.0, let inbox = row.1, let received = row.2, let from = row.3, let to = row.4,
            let cc = row.5, let subject = row.6, let snippet = row.7, let size = row.8, let attachments = row.9,
            let isRead = row.10, let tags = row.11
        else { return nil }
        return decode((id, inbox, received, from, to, cc, subject, snippet, size, attachments, isRead, tags))
    }

    /// The summaries `query` selects (it selects ``list``).
    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws
        -> [MessageSummary]
    {
        var summaries: [MessageSummary] = []
        for try await row in try await connection.query(query, logger: logger).decode(Row.self) {
            summaries.append(decode(row))
        }
        return summaries
    }
}
