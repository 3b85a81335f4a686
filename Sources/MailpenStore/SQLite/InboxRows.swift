import GRDB

/// The row ids of an inbox, as a bitmap, for pages deep into its plain list: finding page 1000 by skipping
/// 50,000 entries of the inbox's index takes milliseconds, picking it from the bitmap microseconds.
///
/// Kept between requests (``InboxRowsCache``) and brought up to date in each request's snapshot at the
/// cost of the rows added since: row ids only grow (`AUTOINCREMENT`) and a message never changes inbox, so
/// the rows it held are still the inbox's unless some were deleted — which the inbox's message count,
/// kept in the same transactions, tells. Then it is read afresh. (An inbox deleted and created again
/// under the same name lost its rows, so the count tells that too.)
struct InboxRows: Sendable {
    var rows: RowSet
    /// The largest row id looked at: rows added later are larger.
    var largest: Int64

    /// `cached` brought up to date in `db`'s snapshot, or the inbox's rows read afresh.
    static func current(
        _ cached: InboxRows?, inboxID: Int64, messageCount: Int, in db: Database
    ) throws -> InboxRows {
        let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM message") ?? 0
        if var entry = cached {
            let added = try Int64.fetchAll(
                db, sql: "SELECT seq FROM message WHERE inbox_id = ? AND seq > ?", arguments: [inboxID, entry.largest])
            if entry.rows.count + added.count == messageCount {
                entry.rows.grow(toLargest: newest)
                for row in added { entry.rows.insert(row) }
                entry.largest = max(entry.largest, newest)
                return entry
            }
        }
        var entry = InboxRows(rows: RowSet(largest: newest), largest: newest)
        var scan = RawStatement(try db.cachedStatement(sql: "SELECT seq FROM message WHERE inbox_id = ?"))
        scan.bind(inboxID)
        try scan.forEachRow(in: db) { entry.rows.insert(scan.int64(at: 0)) }
        return entry
    }
}

/// The rows of recently paged inboxes (a few: each bitmap takes a bit per row id ever given out), keyed
/// by lower-cased inbox name.
actor InboxRowsCache {
    private var entries: [String: InboxRows] = [:]
    private static let maximumEntries = 8

    func rows(of inbox: String) -> InboxRows? {
        entries[inbox.lowercased()]
    }

    func remember(_ rows: InboxRows, of inbox: String) {
        if entries[inbox.lowercased()] == nil, entries.count >= Self.maximumEntries { entries.removeAll() }
        entries[inbox.lowercased()] = rows
    }
}
