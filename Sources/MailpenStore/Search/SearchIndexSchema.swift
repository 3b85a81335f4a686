import GRDB

/// The schema of the search index, which lives in a database file of its own beside the messages
/// (`<db>-search`), so that indexing never takes the message database's write lock. It holds only
/// derived data: deleting the file rebuilds it from the stored messages.
enum SearchIndexSchema {
    /// Word index over subject, addresses and decoded body text: bare words and phrases.
    static let textTable = "message_text"
    /// Substring (trigram) index over the fields the grammar names, stored case-folded.
    static let fieldsTable = "message_fields"
    /// The columns of ``fieldsTable``, in order: FTS5 keeps the text of the n-th in column `c<n>` of the
    /// table's `_content` shadow table, which a scan for text too short for the trigram index reads directly.
    static let fieldsColumns = [
        "addr_from", "addr_to", "addr_cc", "addr_bcc", "addr_reply_to", "addr_all", "rcpt", "subject", "message_id",
    ]
    /// The header lines by name (see ``HeaderEntries``): what `header:` looks up, reading only the entries of
    /// the name it asks for.
    static let headerTable = "message_header"
    /// Each message's folded header lines, whole: for the header table's deletions and the few `header:`
    /// names that table cannot answer. A table of their own keeps them out of the fields table's stored
    /// text, which a short-field scan reads row by row.
    static let headerLinesTable = "message_header_lines"

    /// The page size of a new index file. A burst's indexing writes whole segments and stored texts, which
    /// 16 KB pages hold in a quarter of the log frames (two writes each) that 4 KB pages need; a trickle's
    /// batch of one message writes whole pages too, so larger pages would cost it more.
    static let pageSize = 16 * 1024

    /// The current version, kept in the index database's `user_version`; an older index is rebuilt. Version 3
    /// stopped indexing the header lines by trigram (the header table answers `header:`); version 4 moved
    /// them out of the fields table.
    static let version = 4

    /// Creates the tables in `schema` (`""` for a connection of its own, `"search."` when attached) unless
    /// they are there; an index of another version is dropped and rebuilt.
    static func prepare(_ db: Database, schema: String) throws {
        let current = try Int.fetchOne(db, sql: "PRAGMA \(schema)user_version") ?? 0
        if current == version {
            try disableAutomerge(db, schema: schema)
            return
        }
        for table in [textTable, fieldsTable, headerTable, headerLinesTable, "index_state"] {
            try db.execute(sql: "DROP TABLE IF EXISTS \(schema)\(table)")
        }
        try db.execute(
            sql: """
                CREATE VIRTUAL TABLE \(schema)\(textTable) USING fts5(
                    subject, addresses, body, tokenize = 'unicode61 remove_diacritics 2');
                CREATE VIRTUAL TABLE \(schema)\(fieldsTable) USING fts5(
                    \(fieldsColumns.joined(separator: ", ")), tokenize = 'trigram case_sensitive 1');
                CREATE TABLE \(schema)index_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    indexed_seq INTEGER NOT NULL
                );
                INSERT INTO \(schema)index_state (id, indexed_seq) VALUES (1, 0);
                """)
        try createHeaderTables(db, schema: schema)
        try db.execute(sql: "PRAGMA \(schema)user_version = \(version)")
        try disableAutomerge(db, schema: schema)
    }

    /// The header table has one row per distinct header line, keyed by name first: `header:Name` reads the
    /// name's entries alone, and `header:Name=value` tests only their values. Entries are deleted by name and
    /// row, the names read from the lines table (see ``deleteEntries(of:in:schema:)``), so no second index
    /// is needed.
    private static func createHeaderTables(_ db: Database, schema: String) throws {
        try db.execute(
            sql: """
                CREATE TABLE \(schema)\(headerTable) (
                    name TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (name, seq, value)
                ) WITHOUT ROWID;
                CREATE TABLE \(schema)\(headerLinesTable) (seq INTEGER PRIMARY KEY, lines TEXT NOT NULL);
                """)
    }

    /// The full-text tables, whose segments ``mergeStep(_:schema:pages:)`` merges.
    static let fullTextTables = [textTable, fieldsTable]

    /// Turns off FTS5's automatic merging, which runs inside the inserting transaction and now and then
    /// makes indexing one message take 20 ms instead of one, holding up the waits it should wake. The
    /// indexer merges in quiet moments instead (and FTS5 still merges at once when segments pile up).
    private static func disableAutomerge(_ db: Database, schema: String) throws {
        for table in fullTextTables {
            try db.execute(sql: "INSERT INTO \(schema)\(table) (\(table), rank) VALUES ('automerge', 0)")
        }
    }

    /// Removes the entries of `rows` from the full-text tables and the header tables (in chunks: SQLite
    /// takes a limited number of parameters per statement).
    static func deleteEntries(of rows: [Int64], in db: Database, schema: String) throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            let chunk = Array(rows[start..<min(start + 500, rows.count)])
            try HeaderEntries.delete(rows: chunk, in: db, schema: schema)
            for table in fullTextTables {
                try db.execute(
                    sql: "DELETE FROM \(schema)\(table) WHERE rowid IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(chunk))
            }
        }
    }

    /// Merges up to about `pages` pages of `table`'s segments; returns whether there was anything to merge.
    static func mergeStep(_ table: String, in db: Database, schema: String, pages: Int) throws -> Bool {
        let before = db.totalChangesCount
        try db.execute(sql: "INSERT INTO \(schema)\(table) (\(table), rank) VALUES ('merge', ?)", arguments: [pages])
        // FTS5 counts two or more changes when it merged something (see its documentation of 'merge').
        return db.totalChangesCount - before >= 2
    }
}
