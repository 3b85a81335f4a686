import GRDB
import GRDBSQLite

/// The transaction of a batch of messages (the writer's, the search indexer's), begun and committed through
/// cached statements. GRDB's own `inTransaction` prepares its `BEGIN` and `COMMIT` again for every
/// transaction and reads them through its cursors: 20,000 to 30,000 instructions a commit, and both commit
/// for every message or two when sessions send one at a time.
///
/// GRDB does not see these transactions: its transaction observers (`ValueObservation`,
/// `afterNextTransaction`) would not hear of their commits, and `transactionDate` is not kept for them.
/// Neither store uses any of those; `isInsideTransaction` reads SQLite's own state and stays right.
enum BatchTransaction {
    /// Runs `body` on `writer`'s connection in an immediate transaction: committed when it returns, rolled
    /// back when it (or the commit) throws.
    static func write<T>(_ writer: any DatabaseWriter, _ body: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction { db in try run(in: db) { try body(db) } }
    }

    /// ``write(_:_:)`` on a connection already held, outside any transaction.
    static func run<T>(in db: Database, _ body: () throws -> T) throws -> T {
        assert(!db.isInsideTransaction, "a batch transaction begins outside any other")
        try RawStatement(db.cachedStatement(sql: "BEGIN IMMEDIATE")).execute(in: db)
        do {
            let value = try body()
            try RawStatement(db.cachedStatement(sql: "COMMIT")).execute(in: db)
            return value
        } catch {
            // A failed statement may have ended the transaction already (SQLite rolls back on some errors).
            if let connection = db.sqliteConnection, sqlite3_get_autocommit(connection) == 0 {
                try? RawStatement(db.cachedStatement(sql: "ROLLBACK")).execute(in: db)
            }
            throw error
        }
    }
}
