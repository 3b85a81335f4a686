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

    static func insertDocument(seq: Int64, headers: String, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO \(SearchIndexSchema.fieldsTable) (rowid, headers) VALUES (?, ?)",
            arguments: [seq, headers])
        try HeaderEntries.insert(seq: seq, headers: headers, into: db, schema: "")
    }

    /// Deleting a message's entries removes its header rows too, found through the header lines the fields
    /// table keeps (stored there, not indexed).
    @Test("deletions reach the header table")
    func deletions() throws {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try SearchIndexSchema.prepare(db, schema: "")
            try Self.insertDocument(seq: 1, headers: "\nx-campaign: spring\nsubject: hi\n", in: db)
            try Self.insertDocument(seq: 2, headers: "\nx-campaign: autumn\nx-campaign: winter\n", in: db)
            #expect(
                try Self.headerRows(db) == [
                    "subject=hi@1", "x-campaign=autumn@2", "x-campaign=spring@1", "x-campaign=winter@2",
                ])

            try SearchIndexSchema.deleteEntries(of: [2], in: db, schema: "")
            #expect(try Self.headerRows(db) == ["subject=hi@1", "x-campaign=spring@1"])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(SearchIndexSchema.fieldsTable)") == 1)
        }
    }

    /// An index of an earlier version (version 2 indexed the header lines by trigram) is dropped and made
    /// again empty, so that the indexer fills it from the stored messages; the header lines are no longer
    /// in the trigram index.
    @Test("an index of an earlier version is rebuilt, without the header lines in the trigram index")
    func olderVersionsAreRebuilt() throws {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try SearchIndexSchema.prepare(db, schema: "")
            try Self.insertDocument(seq: 1, headers: "\nx-campaign: spring\n", in: db)
            try db.execute(sql: "UPDATE index_state SET indexed_seq = 1")
            try db.execute(sql: "PRAGMA user_version = 2")

            try SearchIndexSchema.prepare(db, schema: "")
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == SearchIndexSchema.version)
            #expect(try Int64.fetchOne(db, sql: "SELECT indexed_seq FROM index_state") == 0)
            #expect(try Self.headerRows(db).isEmpty)

            try Self.insertDocument(seq: 1, headers: "\nx-campaign: spring\n", in: db)
            let matches = try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM \(SearchIndexSchema.fieldsTable) WHERE \(SearchIndexSchema.fieldsTable) MATCH 'spring'"
            )
            #expect(matches == 0)
        }
    }

    /// Every distinct line of a long header block is written, and a repeated line once.
    @Test("a long header block is written whole, each distinct line once")
    func longHeaderBlocks() throws {
        let count = 40
        let lines = (0..<count).map { "x-line-\($0 % (count - 4)): value \($0 % (count - 4))" }
        let headers = "\n" + lines.joined(separator: "\n") + "\n"
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try SearchIndexSchema.prepare(db, schema: "")
            try Self.insertDocument(seq: 7, headers: headers, in: db)
            let rows = try Self.headerRows(db)
            #expect(rows.count == count - 4)
            #expect(Set(rows) == Set((0..<(count - 4)).map { "x-line-\($0)=value \($0)@7" }))
        }
    }
}
