import GRDB

/// Finds the matches of a query by set operations on row ids: each term gives the set of rows it matches
/// — from its full-text index, the tag or header table, or the inbox's membership and columns — and one
/// pass over each, intersected with the inbox's membership (``InboxMembership``), gives the page and the
/// totals together. Joining every match to its message row instead costs a B-tree lookup per match — for a
/// word in most of 100k messages, three times as long — a negated term would be tested row by row, and a
/// word prefix would be expanded twice, for the page and the count.
struct IndexedSearch {
    /// One term and where its rows come from.
    struct Term: Sendable {
        enum Source: Sendable {
            /// A full-text table and its MATCH expression.
            case fullText(table: String, expression: String)
            /// Field text too short for the trigram index, looked for in the stored text of each message.
            case fieldScan(FieldTest)
            case tag(String)
            /// Entries of the header table (``HeaderEntries``).
            case header(name: String, value: String?)
            /// The inbox's unread messages.
            case unread
            /// A test of the inbox's columns.
            case column(InboxColumns.Test)
        }

        var source: Source
        var isNegated: Bool

        /// What the term's rows are kept under between searches, for the sources whose entries never change
        /// once a message is indexed (``TermRowsCache``).
        var cacheKey: TermRowsKey? {
            switch source {
            case .fullText(let table, let expression): .fullText(table: table, expression: Array(expression.utf8))
            case .fieldScan(let test): .fieldScan(columns: test.columns, value: Array(test.value.utf8))
            case .header(let name, let value): .header(name: Array(name.utf8), value: value.map { Array($0.utf8) })
            case .tag, .unread, .column: nil
            }
        }

        /// Whether the rows come from the inbox's membership or columns rather than a table of their own.
        var isInboxTest: Bool {
            switch source {
            case .unread, .column: true
            case .fullText, .fieldScan, .tag, .header: false
            }
        }
    }

    var terms: [Term]

    /// The plan for `query`, or `nil` for the empty query and when a term is a header name that spans the
    /// `": "` its lines are split at.
    init?(_ query: SearchQuery) {
        guard !query.terms.isEmpty else { return nil }  // A plain list, which has a way of its own.
        var terms: [Term] = []
        for term in query.terms {
            guard let source = Self.source(of: term.condition) else { return nil }
            if case .isRead(let isRead) = term.condition {
                // `is:read` is `-is:unread`, and `-is:read` is `is:unread`.
                terms.append(Term(source: source, isNegated: term.isNegated != isRead))
            } else {
                terms.append(Term(source: source, isNegated: term.isNegated))
            }
        }
        // Each term is read on its own, not joined into one expression for FTS5 to intersect: its rows are
        // then kept for the next searches with it (``TermRowsCache``), in any combination, and FTS5's own
        // intersection of a phrase and a common word costs about what reading both does.
        // Positive table terms first, so that the rest only ever narrow them down.
        self.terms =
            terms.filter { !$0.isNegated && !$0.isInboxTest } + terms.filter { $0.isNegated || $0.isInboxTest }
    }

    private static func source(of condition: SearchCondition) -> Term.Source? {
        switch condition {
        case .text(let value, let isPhrase):
            guard let expression = SearchSQL.ftsExpression(value, isPhrase: isPhrase) else {
                // Punctuation only: no words to look up, so look for the characters in subject and addresses.
                return fieldScan(FieldTest(columns: ["subject", "addr_all"], value: value))
            }
            return .fullText(table: SearchIndexSchema.textTable, expression: expression)
        case .address, .subject, .messageID:
            guard let test = FieldTest(condition) else { return nil }
            guard let expression = test.matchExpression else { return fieldScan(test) }
            return .fullText(table: SearchIndexSchema.fieldsTable, expression: expression)
        case .tag(let tag):
            return .tag(tag)
        case .header(let name, let value):
            guard HeaderEntries.isIndexable(name: name) else { return nil }
            return .header(name: name, value: value)
        case .isRead:
            return .unread
        case .hasAttachment:
            return .column(.hasAttachment)
        case .largerThan(let size):
            return .column(.largerThan(Int64(size)))
        case .smallerThan(let size):
            return .column(.smallerThan(Int64(size)))
        case .receivedBefore(let date):
            return .column(.receivedBefore(SearchSQL.milliseconds(date)))
        case .receivedOnOrAfter(let date):
            return .column(.receivedOnOrAfter(SearchSQL.milliseconds(date)))
        }
    }

    /// A scan for `test`, when its columns are all columns of the fields table.
    private static func fieldScan(_ test: FieldTest) -> Term.Source? {
        guard test.columns.allSatisfy(SearchIndexSchema.fieldsColumns.contains) else { return nil }
        return .fieldScan(test)
    }

    /// The terms whose rows may be kept between searches.
    var cacheKeys: [TermRowsKey] {
        terms.compactMap(\.cacheKey)
    }

    /// Whether a term tests the inbox's columns, which then have to be read (or taken from the cache).
    var needsColumns: Bool {
        terms.contains { if case .column = $0.source { true } else { false } }
    }

    /// The outcome of a search: the inbox's matching rows, how many there are and how many are unread.
    struct Matches {
        var rows: RowSet
        var unread: Int

        /// How many messages match.
        var total: Int { rows.count }

        /// The row ids of one page, newest first.
        func page(limit: Int, offset: Int) -> [Int64] {
            rows.largest(limit, skipping: offset)
        }
    }

    /// The inbox's messages that match. Many matches are intersected with the inbox's `membership`; when
    /// it is not given (or lacks the columns a term needs), it is read, and returned as `loaded` for the
    /// searches after this one. A few matches of table terms alone are looked up one by one instead.
    /// Table terms are read through `reader`, which brings kept rows up to date and records what it read.
    func matches(
        inboxID: Int64, membership: InboxMembership?, reading reader: inout TermReader, in db: Database
    ) throws -> (matches: Matches, loaded: InboxMembership?) {
        let largest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM message") ?? 0
        guard largest > 0 else { return (Matches(rows: RowSet(largest: 0), unread: 0), nil) }
        var candidates: RowSet?
        var inboxTests: [Term] = []
        for term in terms {
            guard !term.isInboxTest else {
                inboxTests.append(term)
                continue
            }
            if term.isNegated && candidates == nil {
                inboxTests.append(term)  // Nothing to subtract from yet: the inbox's members are the start.
                continue
            }
            let found = try reader.rows(of: term, among: candidates, largest: largest, in: db)
            if var current = candidates {
                if term.isNegated { current.subtract(found) } else { current.formIntersection(found) }
                candidates = current
            } else {
                candidates = found
            }
        }
        var loaded: InboxMembership?
        var known = membership
        if known == nil, inboxTests.isEmpty, let candidates {
            let stored = try Int.fetchOne(db, sql: "SELECT SUM(message_count) FROM inbox") ?? 0
            if candidates.count * RowSet.lookupCostInRows < stored {
                // Few candidates: looking each one up costs less than reading the membership.
                return (try Self.lookUp(candidates, inboxID: inboxID, largest: largest, in: db), nil)
            }
        }
        if known == nil {
            known = try InboxMembership.load(inboxID: inboxID, largest: largest, in: db)
            loaded = known
        }
        guard var inbox = known else { return (Matches(rows: RowSet(largest: 0), unread: 0), loaded) }
        if needsColumns && inbox.columns == nil {
            inbox.columns = try InboxColumns.load(inboxID: inboxID, in: db)
            loaded = inbox
        }
        var rows = candidates ?? inbox.members
        rows.formIntersection(inbox.members)
        for term in inboxTests {
            let found: RowSet
            switch term.source {
            case .unread:
                found = inbox.unread
            case .column(let test):
                found = inbox.columns?.rows(passing: test, largest: largest) ?? RowSet(largest: 0)
            case .fullText, .fieldScan, .tag, .header:
                found = try reader.rows(of: term, among: nil, largest: largest, in: db)
            }
            if term.isNegated { rows.subtract(found) } else { rows.formIntersection(found) }
        }
        return (Matches(rows: rows, unread: rows.countOfIntersection(with: inbox.unread)), loaded)
    }

    /// The candidates that belong to the inbox, each looked up by its row id.
    private static func lookUp(_ candidates: RowSet, inboxID: Int64, largest: Int64, in db: Database) throws
        -> Matches
    {
        var matches = Matches(rows: RowSet(largest: largest), unread: 0)
        let lookup = try db.cachedStatement(
            sql: "SELECT inbox_id, is_read FROM message INDEXED BY message_membership WHERE seq = ?")
        for row in candidates {
            var member = RawStatement(lookup)
            member.bind(row)
            try member.forEachRow(in: db) {
                guard member.int64(at: 0) == inboxID else { return }
                matches.rows.insert(row)
                if member.int64(at: 1) == 0 { matches.unread += 1 }
            }
        }
        return matches
    }
}
