import GRDB
import GRDBSQLite
import Testing

@testable import MailpenStore

@Suite("SQLite: statements bound through the C API")
struct RawStatementTests {
    /// A value SQLite refuses to bind (here too long for the connection's limit) must fail the statement,
    /// not leave its parameter NULL: `INSERT OR IGNORE` would then skip the row without a word.
    @Test("a failed bind fails the statement")
    func failedBindsThrow() throws {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE t (name TEXT NOT NULL, seq INTEGER NOT NULL)")
            guard let connection = db.sqliteConnection else {
                Issue.record("no connection")
                return
            }
            sqlite3_limit(connection, SQLITE_LIMIT_LENGTH, 100)
            let statement = try db.makeStatement(sql: "INSERT OR IGNORE INTO t (name, seq) VALUES (?, ?)")
            let long = "x-" + String(repeating: "a", count: 200)
            var asString = RawStatement(statement)
            asString.bind(long)
            asString.bind(Int64(1))
            #expect(throws: DatabaseError.self) { try asString.execute(in: db) }
            var asBytes = RawStatement(statement)
            asBytes.bind(text: long.utf8[...])
            asBytes.bind(Int64(2))
            #expect(throws: DatabaseError.self) { try asBytes.execute(in: db) }
            var fits = RawStatement(statement)
            fits.bind(text: "x-b: c".utf8.dropLast(3))
            fits.bind(Int64(7))
            try fits.execute(in: db)
            #expect(try String.fetchAll(db, sql: "SELECT name || '@' || seq FROM t") == ["x-b@7"])
        }
    }
}
