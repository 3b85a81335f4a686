import GRDB

/// The columns that size, date and attachment terms test, for every message of one inbox, in row order:
/// read in one pass over a covering index (`message_columns`) and kept with the inbox's membership
/// until the next commit, so that such a term costs a pass over a few arrays instead of over the rows.
struct InboxColumns: Sendable {
    private(set) var rows: [Int64] = []
    private(set) var sizes: [Int64] = []
    private(set) var receivedAt: [Int64] = []
    private(set) var hasAttachments: [Bool] = []

    /// A condition on one message's columns.
    enum Test: Sendable, Hashable {
        case hasAttachment
        case largerThan(Int64)
        case smallerThan(Int64)
        /// Received before this many milliseconds since 1970.
        case receivedBefore(Int64)
        case receivedOnOrAfter(Int64)
    }

    static func load(inboxID: Int64, in db: Database) throws -> InboxColumns {
        var columns = InboxColumns()
        let expected = try Int.fetchOne(db, sql: "SELECT message_count FROM inbox WHERE id = ?", arguments: [inboxID])
        let capacity = Swift.max(0, expected ?? 0)
        columns.rows.reserveCapacity(capacity)
        columns.sizes.reserveCapacity(capacity)
        columns.receivedAt.reserveCapacity(capacity)
        columns.hasAttachments.reserveCapacity(capacity)
        var scan = RawStatement(
            try db.cachedStatement(
                sql: """
                    SELECT seq, size, received_at, attachment_count FROM message INDEXED BY message_columns
                    WHERE inbox_id = ?
                    """))
        scan.bind(inboxID)
        try scan.forEachRow(in: db) {
            columns.rows.append(scan.int64(at: 0))
            columns.sizes.append(scan.int64(at: 1))
            columns.receivedAt.append(scan.int64(at: 2))
            columns.hasAttachments.append(scan.int64(at: 3) > 0)
        }
        return columns
    }

    /// The rows whose columns pass `test`.
    func rows(passing test: Test, largest: Int64) -> RowSet {
        var found = RowSet(largest: largest)
        switch test {
        case .hasAttachment:
            for index in rows.indices where hasAttachments[index] { found.insert(rows[index]) }
        case .largerThan(let size):
            for index in rows.indices where sizes[index] > size { found.insert(rows[index]) }
        case .smallerThan(let size):
            for index in rows.indices where sizes[index] < size { found.insert(rows[index]) }
        case .receivedBefore(let time):
            for index in rows.indices where receivedAt[index] < time { found.insert(rows[index]) }
        case .receivedOnOrAfter(let time):
            for index in rows.indices where receivedAt[index] >= time { found.insert(rows[index]) }
        }
        return found
    }
}
