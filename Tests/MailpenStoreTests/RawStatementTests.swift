import GRDB
import GRDBSQLite
import Testing

@testable import MailpenStore

@Suite("SQLite: statements bound through the C API")
struct RawStatementTests {
    /// A fresh in-memory database with the table `t` that `create` makes, for `body` to write to.
    private static func withTable(_ create: String, _ body: (Database) throws -> Void) throws {
        try DatabaseQueue().writeWithoutTransaction { db in
            try db.execute(sql: create)
            try body(db)
        }
    }

    /// A value SQLite refuses to bind (here too long for the connection's limit) must fail the statement,
    /// not leave its parameter NULL: `INSERT OR IGNORE` would then skip the row without a word.
    @Test("a failed bind fails the statement")
    func failedBindsThrow() throws {
        try Self.withTable("CREATE TABLE t (name TEXT NOT NULL, seq INTEGER NOT NULL)") { db in
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
            var longBytes = long
            try longBytes.withUTF8 { bytes in
                var asBytes = RawStatement(statement)
                asBytes.bind(borrowedText: bytes)
                asBytes.bind(Int64(2))
                #expect(throws: DatabaseError.self) { try asBytes.execute(in: db) }
            }
            var line = "x-b: c"
            try line.withUTF8 { bytes in
                var fits = RawStatement(statement)
                fits.bind(borrowedText: UnsafeBufferPointer(rebasing: bytes.dropLast(3)))
                fits.bind(Int64(7))
                try fits.execute(in: db)
            }
            #expect(try String.fetchAll(db, sql: "SELECT name || '@' || seq FROM t") == ["x-b@7"])
        }
    }

    /// Borrowed text points into memory the statement does not own: once the statement has run, whether
    /// it succeeded or failed, nothing may still point there.
    @Test("borrowed text is unbound once the statement has run")
    func borrowedTextIsUnbound() throws {
        try Self.withTable("CREATE TABLE t (name TEXT NOT NULL UNIQUE)") { db in
            let statement = try db.makeStatement(sql: "INSERT INTO t (name) VALUES (?)")
            var name = "borrowed"
            for expectsFailure in [false, true] {  // the second insert breaks the UNIQUE constraint
                try name.withUTF8 { bytes in
                    var insert = RawStatement(statement)
                    insert.bind(borrowedText: bytes)
                    if expectsFailure {
                        #expect(throws: DatabaseError.self) { try insert.execute(in: db) }
                    } else {
                        try insert.execute(in: db)
                    }
                }
                let expanded = try #require(sqlite3_expanded_sql(statement.sqliteStatement))
                defer { sqlite3_free(expanded) }
                #expect(String(cString: expanded) == "INSERT INTO t (name) VALUES (NULL)")
            }
        }
    }

    /// A string is bound from its own bytes as SQLite reads a C string, up to a NUL byte; rows read back
    /// through the C API give text, integers and NULL.
    @Test("strings bind up to a NUL byte, and rows read back")
    func stringsAndRows() throws {
        try Self.withTable("CREATE TABLE t (name TEXT NOT NULL, limit_count INTEGER)") { db in
            let insert = try db.makeStatement(sql: "INSERT INTO t (name, limit_count) VALUES (?, ?)")
            for (name, limit) in [("plain", Int64?.some(3)), ("cut\u{0}here", nil), ("", 0), ("ünï ✓", nil)] {
                var row = RawStatement(insert)
                row.bind(name)
                row.bind(limit)
                try row.execute(in: db)
            }
            // The statement is GRDB's: it must outlive its raw use.
            let select = try db.makeStatement(sql: "SELECT name, limit_count FROM t ORDER BY rowid")
            let read = RawStatement(select)
            var rows: [String] = []
            try read.forEachRow(in: db) {
                rows.append("\(read.string(at: 0))=\(read.optionalInt64(at: 1).map(String.init) ?? "null")")
            }
            #expect(rows == ["plain=3", "cut=null", "=0", "ünï ✓=null"])
        }
    }

    /// The writer's transaction commits what its body wrote, and keeps nothing of a body that threw: the
    /// connection is then outside any transaction, ready for the next batch.
    @Test("a batch transaction commits, or rolls back when its body throws")
    func batchTransaction() throws {
        struct Refused: Error {}
        try Self.withTable("CREATE TABLE t (n INTEGER NOT NULL)") { db in
            try BatchTransaction.run(in: db) { try db.execute(sql: "INSERT INTO t VALUES (1)") }
            #expect(throws: Refused.self) {
                try BatchTransaction.run(in: db) {
                    try db.execute(sql: "INSERT INTO t VALUES (2)")
                    throw Refused()
                }
            }
            #expect(!db.isInsideTransaction)
            // A statement the transaction refuses (a constraint) throws its own error and rolls back too.
            #expect(throws: DatabaseError.self) {
                try BatchTransaction.run(in: db) {
                    try db.execute(sql: "INSERT INTO t VALUES (3)")
                    try db.execute(sql: "INSERT INTO t VALUES (NULL)")
                }
            }
            #expect(!db.isInsideTransaction)
            // A COMMIT that fails (a deferred foreign key left unmet) leaves the transaction open: it is rolled
            // back too.
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "CREATE TABLE parent (n INTEGER PRIMARY KEY)")
            try db.execute(
                sql: "CREATE TABLE child (n INTEGER REFERENCES parent(n) DEFERRABLE INITIALLY DEFERRED)")
            #expect(throws: DatabaseError.self) {
                try BatchTransaction.run(in: db) {
                    try db.execute(sql: "INSERT INTO t VALUES (5)")
                    try db.execute(sql: "INSERT INTO child VALUES (99)")
                }
            }
            #expect(!db.isInsideTransaction)
            try BatchTransaction.run(in: db) { try db.execute(sql: "INSERT INTO t VALUES (4)") }
            #expect(try Int.fetchAll(db, sql: "SELECT n FROM t ORDER BY n") == [1, 4])
            #expect(try Int.fetchAll(db, sql: "SELECT n FROM child").isEmpty)
        }
    }
}
