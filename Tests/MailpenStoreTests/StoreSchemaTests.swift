import Foundation
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
                    !other.columns.starts(with: index.columns),
                    "\(index.name) \(index.columns) begins \(other.name) \(other.columns)")
            }
        }
    }

    /// With the shorter index gone, an inbox's messages are still read from an index on inbox and row,
    /// newest first, without sorting: a list page's rows, and the rows of a batch the wait matcher checks.
    @Test(arguments: [MessageQuery(inbox: "a"), MessageQuery(inbox: "a", since: .time(Date(timeIntervalSince1970: 0)))])
    func anInboxsMessagesAreReadInOrderFromAnIndex(query: MessageQuery) throws {
        let database = try DatabaseQueue()
        try StoreSchema.migrator.migrate(database)
        let (range, _) = MessageSQL.summariesSQL(for: query, inboxID: 1, bounding: MessageSQL.rowRange)
        for sql in [MessageSQL.inboxPageRows, range] {
            let plan = try database.read { db in
                // Any value for each parameter: the plan does not depend on them.
                let arguments = StatementArguments(Array(repeating: 1, count: sql.count { $0 == "?" }))
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map {
                    row -> String in row["detail"]
                }
            }
            let read = plan.filter { $0.contains(" m ") || $0.contains(" message ") }
            #expect(read.count == 1 && read[0].contains("INDEX message_columns (inbox_id=?"), "plan: \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "plan: \(plan)")
        }
    }
}
