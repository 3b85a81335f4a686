import GRDB
import Testing

@testable import MailpenStore

@Suite("Store schema")
struct StoreSchemaTests {
    /// Every index costs each insert an entry and each commit a page of the log. One whose columns begin
    /// another's serves no query the longer one does not, so it would be paid for in vain (unless it
    /// enforces uniqueness).
    @Test func noIndexIsTheBeginningOfAnother() throws {
        let database = try DatabaseQueue()
        try StoreSchema.migrator.migrate(database)
        let indexes = try database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'").flatMap { table in
                try db.indexes(on: table).map {
                    (table: table, name: $0.name, columns: $0.columns, isUnique: $0.isUnique)
                }
            }
        }
        #expect(indexes.contains { $0.name == "message_columns" })
        for index in indexes where !index.isUnique {
            for other in indexes where other.table == index.table && other.name != index.name {
                #expect(
                    !(other.columns.starts(with: index.columns) && other.columns.count >= index.columns.count),
                    "\(index.name) \(index.columns) begins \(other.name) \(other.columns)")
            }
        }
    }

    /// With the shorter index gone, an inbox's list is still read from an index, newest first, without
    /// sorting: the query a list page runs.
    @Test func anInboxListIsReadInOrderFromAnIndex() throws {
        let database = try DatabaseQueue()
        try StoreSchema.migrator.migrate(database)
        let plan = try database.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT seq FROM message WHERE inbox_id = 1 ORDER BY seq DESC LIMIT 50"
            ).map { row -> String in row["detail"] }
        }
        #expect(plan.count == 1 && plan[0].hasPrefix("SEARCH message USING COVERING INDEX"), "plan: \(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "plan: \(plan)")
    }
}
