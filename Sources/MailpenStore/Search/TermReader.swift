import GRDB

/// Reads the rows a table term of an ``IndexedSearch`` matches, in every inbox: from its full-text table,
/// the fields' stored text, the tag table or the header table. A term whose rows were kept from an earlier
/// search (``TermRowsCache``) is brought up to date by reading only the entries of messages indexed since.
struct TermReader {
    let indexSchema: String
    let kept: [TermRowsKey: TermRowsCache<TermRowsKey>.Entry]
    /// The terms read or brought up to date, for the cache.
    private(set) var updated: [TermRowsKey: TermRowsCache<TermRowsKey>.Entry] = [:]
    /// The last row the index held in this snapshot, once read.
    private var indexedThrough: Int64?

    init(indexSchema: String, kept: [TermRowsKey: TermRowsCache<TermRowsKey>.Entry]) {
        self.indexSchema = indexSchema
        self.kept = kept
    }

    /// The rows `term` matches; those of a field scan not kept yet only among `candidates` when they are
    /// few (its full pass reads the text of every message), and then not kept either.
    mutating func rows(of term: IndexedSearch.Term, among candidates: RowSet?, largest: Int64, in db: Database)
        throws -> RowSet
    {
        let key = term.cacheKey
        let known = key.flatMap { updated[$0] ?? kept[$0] }
        if case .fieldScan(let test) = term.source, known == nil, let candidates,
            Int64(candidates.count * RowSet.lookupCostInRows) < largest
        {
            return try lookUp(test, among: candidates, largest: largest, in: db)
        }
        guard let key else {
            var found = RowSet(largest: largest)
            try scan(term.source, after: 0, into: &found, in: db)
            return found
        }
        let through = try self.through(in: db)
        if let known, known.through >= through { return known.rows }
        var entry = known ?? TermRowsCache<TermRowsKey>.Entry(rows: RowSet(largest: through), through: 0)
        entry.rows.grow(toLargest: through)
        try scan(term.source, after: entry.through, into: &entry.rows, in: db)
        entry.through = through
        updated[key] = entry
        return entry.rows
    }

    /// The last row id the index held when this snapshot of it was taken: the indexer writes a message's
    /// entries and this mark in one transaction, in row order.
    private mutating func through(in db: Database) throws -> Int64 {
        if let indexedThrough { return indexedThrough }
        let through = try Int64.fetchOne(db, sql: "SELECT indexed_seq FROM \(indexSchema)index_state") ?? 0
        indexedThrough = through
        return through
    }

    /// Adds the rows after `after` that `source` matches.
    private func scan(_ source: IndexedSearch.Term.Source, after: Int64, into found: inout RowSet, in db: Database)
        throws
    {
        var scan: RawStatement
        switch source {
        case .fullText(let table, let expression):
            scan = RawStatement(
                try db.cachedStatement(
                    sql: "SELECT rowid FROM \(indexSchema)\(table) WHERE \(table) MATCH ? AND rowid > ?"))
            scan.bind(expression)
            scan.bind(after)
        case .fieldScan(let test):
            // The shadow table holds the same text as the full-text table's columns, without the virtual
            // table's work per row: about a third of the time.
            scan = RawStatement(
                try db.cachedStatement(
                    sql: """
                        SELECT id FROM \(indexSchema)\(SearchIndexSchema.fieldsTable)_content
                        WHERE id > ? AND (\(Self.globColumns(test)))
                        """))
            scan.bind(after)
            for pattern in test.globPatterns { scan.bind(pattern) }
        case .tag(let tag):
            scan = RawStatement(try db.cachedStatement(sql: "SELECT seq FROM message_tag WHERE tag = ?"))
            scan.bind(tag)
        case .header(let name, let value):
            let query = HeaderEntries.rowsQuery(name: name, value: value, schema: indexSchema, afterRow: true)
            scan = RawStatement(try db.cachedStatement(sql: query.sql))
            for argument in query.arguments { scan.bind(argument) }
            scan.bind(after)
        case .unread, .column:
            return
        }
        try scan.forEachRow(in: db) { found.insert(scan.int64(at: 0)) }
    }

    /// The candidates whose fields hold the text, each looked up by its row id.
    private func lookUp(_ test: FieldTest, among candidates: RowSet, largest: Int64, in db: Database) throws
        -> RowSet
    {
        var found = RowSet(largest: largest)
        let lookup = try db.cachedStatement(
            sql: """
                SELECT id FROM \(indexSchema)\(SearchIndexSchema.fieldsTable)_content
                WHERE id = ? AND (\(Self.globColumns(test)))
                """)
        for row in candidates {
            var check = RawStatement(lookup)
            check.bind(row)
            for pattern in test.globPatterns { check.bind(pattern) }
            try check.forEachRow(in: db) { found.insert(row) }
        }
        return found
    }

    /// The GLOB test of each of the term's columns in the shadow table, which names the n-th column `c<n>`.
    /// (A field scan lets in only columns of the table.)
    private static func globColumns(_ test: FieldTest) -> String {
        test.columns.map { column in
            "c\(SearchIndexSchema.fieldsColumns.firstIndex(of: column) ?? 0) GLOB ?"
        }.joined(separator: " OR ")
    }
}
