import Foundation
import GRDB

/// The columns a ``MessageSummary`` is read from, and how.
enum SummaryRow {
    /// Select list over `message m JOIN inbox i`.
    static let columns = """
        m.id, i.name, m.received_at, m.from_list, m.to_list, m.cc_list, m.subject, m.snippet, m.size, \
        m.attachment_count, m.is_read, m.tags
        """

    static func decode(_ row: Row) -> MessageSummary {
        let fromList: String = row[3]
        return MessageSummary(
            id: row[0],
            inbox: row[1],
            receivedAt: Date(milliseconds: row[2]),
            from: ColumnList.decodeAddresses(fromList).first,
            to: ColumnList.decodeAddresses(row[4]),
            cc: ColumnList.decodeAddresses(row[5]),
            subject: row[6],
            snippet: row[7],
            size: row[8],
            attachmentCount: row[9],
            isRead: row[10],
            tags: ColumnList.decodeStrings(row[11]))
    }
}

extension Date {
    package init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    package var milliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }
}
