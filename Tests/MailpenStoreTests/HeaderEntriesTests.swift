import GRDB
import Testing

@testable import MailpenStore

@Suite("Search: the header table")
struct HeaderEntriesTests {
    @Test("lines split at their first colon and space; lines without one are dropped")
    func splitting() {
        var entries = Set<HeaderEntries.Entry>()
        HeaderEntries.forEachEntry(of: "\nx-a: one: two\nx-a: one: two\nx-b: \nno separator\nx:c:: d\n: e\n") {
            entries.insert($0)
        }
        #expect(
            entries == [
                .init(name: "x-a", value: "one: two"), .init(name: "x-b", value: ""), .init(name: "x:c:", value: "d"),
            ])
        #expect(HeaderEntries.isIndexable(name: "x-campaign"))
        #expect(!HeaderEntries.isIndexable(name: "x-note: a"))
        #expect(!HeaderEntries.isIndexable(name: "x\nb"))
    }

    static func headerRows(_ db: Database) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT name || '=' || value || '@' || seq FROM \(SearchIndexSchema.headerTable) ORDER BY 1")
    }

    /// Runs `body` on an empty index of its own, outside a transaction.
    static func withIndex(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try SearchIndexSchema.prepare(db, schema: "")
            try body(db)
        }
    }

    static func insertDocument(seq: Int64, headers: String, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO \(SearchIndexSchema.fieldsTable) (rowid, subject) VALUES (?, 'hello')", arguments: [seq])
        try HeaderEntries.insert(seq: seq, headers: headers, into: db, schema: "")
    }

    /// Deleting a message's entries removes its header rows and lines too, the rows found through the names
    /// in its stored lines.
    @Test("deletions reach the header table")
    func deletions() throws {
        try Self.withIndex { db in
            try Self.insertDocument(seq: 1, headers: "\nx-campaign: spring\nsubject: hi\n", in: db)
            try Self.insertDocument(seq: 2, headers: "\nx-campaign: autumn\nx-campaign: winter\n", in: db)
            #expect(
                try Self.headerRows(db) == [
                    "subject=hi@1", "x-campaign=autumn@2", "x-campaign=spring@1", "x-campaign=winter@2",
                ])

            try SearchIndexSchema.deleteEntries(of: [2], in: db, schema: "")
            #expect(try Self.headerRows(db) == ["subject=hi@1", "x-campaign=spring@1"])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(SearchIndexSchema.fieldsTable)") == 1)
            #expect(
                try Int64.fetchAll(db, sql: "SELECT seq FROM \(SearchIndexSchema.headerLinesTable)") == [1])
        }
    }

    /// An index of an earlier version is dropped and made again empty, so that the indexer fills it from the
    /// stored messages. Version 3 kept the header lines in the fields table, whose stored text a short-field
    /// scan reads; now they are in a table of their own.
    @Test("an index of an earlier version is rebuilt, the header lines out of the fields table")
    func olderVersionsAreRebuilt() throws {
        try Self.withIndex { db in
            let fields = SearchIndexSchema.fieldsTable
            try db.execute(
                sql: """
                    DROP TABLE \(fields);
                    CREATE VIRTUAL TABLE \(fields) USING fts5(
                        \(SearchIndexSchema.fieldsColumns.joined(separator: ", ")), headers UNINDEXED,
                        tokenize = 'trigram case_sensitive 1');
                    INSERT INTO \(fields) (rowid, headers) VALUES (1, '\nx-campaign: spring\n');
                    """)
            try HeaderEntries.insert(seq: 1, headers: "\nx-campaign: spring\n", into: db, schema: "")
            try db.execute(sql: "UPDATE index_state SET indexed_seq = 1")
            try db.execute(sql: "PRAGMA user_version = 3")

            try SearchIndexSchema.prepare(db, schema: "")
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == SearchIndexSchema.version)
            #expect(try Int64.fetchOne(db, sql: "SELECT indexed_seq FROM index_state") == 0)
            #expect(try Self.headerRows(db).isEmpty)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(SearchIndexSchema.headerLinesTable)") == 0)
            let stored = try Row.fetchAll(db, sql: "PRAGMA table_info(\(fields)_content)").count
            #expect(stored == SearchIndexSchema.fieldsColumns.count + 1, "the old table, with its headers, is gone")
        }
    }

    /// Names and values are bound from the lines' bytes: an empty value is stored as empty text (not NULL,
    /// which the table refuses). The lines are kept up to a NUL byte, where SQLite cuts bound text, and the
    /// entries come from exactly those lines, so that deleting them (which reads the lines) leaves none.
    @Test("empty values and NUL bytes: entries of the stored lines alone, all deleted")
    func emptyValuesAndNulBytes() throws {
        try Self.withIndex { db in
            try Self.insertDocument(seq: 3, headers: "\nx-b: \nx-c: a\u{0}b\nx-d: caf\u{E9}\n", in: db)
            try Self.insertDocument(seq: 4, headers: "\nx-d: caf\u{E9}\n", in: db)
            #expect(try Self.headerRows(db) == ["x-b=@3", "x-c=a@3", "x-d=caf\u{E9}@4"])
            let lines = try String.fetchAll(
                db, sql: "SELECT lines FROM \(SearchIndexSchema.headerLinesTable) ORDER BY seq")
            #expect(lines == ["\nx-b: \nx-c: a", "\nx-d: caf\u{E9}\n"])

            try SearchIndexSchema.deleteEntries(of: [3], in: db, schema: "")
            #expect(try Self.headerRows(db) == ["x-d=caf\u{E9}@4"])
        }
    }

    /// Every distinct line of a long header block is written, and a repeated line once.
    @Test("a long header block is written whole, each distinct line once")
    func longHeaderBlocks() throws {
        let count = 40
        let lines = (0..<count).map { "x-line-\($0 % (count - 4)): value \($0 % (count - 4))" }
        let headers = "\n" + lines.joined(separator: "\n") + "\n"
        try Self.withIndex { db in
            try Self.insertDocument(seq: 7, headers: headers, in: db)
            let rows = try Self.headerRows(db)
            #expect(rows.count == count - 4)
            #expect(Set(rows) == Set((0..<(count - 4)).map { "x-line-\($0)=value \($0)@7" }))
        }
    }
}
