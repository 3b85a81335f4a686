import Foundation
import GRDB

extension SQLiteStore {
    /// Every tag on the inbox's messages with how many carry it, from the tag column of the tagged
    /// messages only (the tag table holds the folded spelling, this the one the client wrote).
    public func tagCounts(inInbox name: String) async throws -> [String: Int] {
        try ensureOpen()
        return try await database.read { db in
            let inbox = try MessageSQL.inboxReference(name, in: db)
            var counts: [String: Int] = [:]
            let cursor = try String.fetchCursor(
                db, sql: "SELECT tags FROM message WHERE inbox_id = ? AND tags != ''", arguments: [inbox.id])
            while let column = try cursor.next() {
                for tag in Set(ColumnList.decodeStrings(column)) { counts[tag, default: 0] += 1 }
            }
            return counts
        }
    }
}
