import GRDB

/// Finds the matches of a query made only of full-text terms (words, phrases and indexed field
/// substrings, each perhaps negated) by set operations on row ids: one pass over each term's index
/// entries, intersected with the inbox's membership (``InboxMembership``), gives the page and the totals
/// together. Joining every match to its message row instead costs a B-tree lookup per match — for a word
/// in most of 100k messages, three times as long — and a word prefix would be expanded twice, for the page
/// and the count.
struct IndexedSearch {
    /// One term: the full-text table it looks in and its MATCH expression.
    struct Term: Sendable {
        var table: String
        var expression: String
        var isNegated: Bool
    }

    var terms: [Term]

    /// The plan for `query`, or `nil` when a term needs anything but a full-text index (flags, dates,
    /// tags, headers, text too short for the trigram index) or no term is positive.
    init?(_ query: SearchQuery) {
        var terms: [Term] = []
        for term in query.terms {
            switch term.condition {
            case .text(let value, let isPhrase):
                guard let expression = SearchSQL.ftsExpression(value, isPhrase: isPhrase) else { return nil }
                terms.append(
                    Term(table: SearchIndexSchema.textTable, expression: expression, isNegated: term.isNegated))
            case .address, .subject, .messageID:
                guard let expression = FieldTest(term.condition)?.matchExpression else { return nil }
                terms.append(
                    Term(table: SearchIndexSchema.fieldsTable, expression: expression, isNegated: term.isNegated))
            default:
                return nil
            }
        }
        guard terms.contains(where: { !$0.isNegated }) else { return nil }
        // Positive terms on one table become one expression: the index intersects them itself.
        var merged: [Term] = []
        for table in [SearchIndexSchema.textTable, SearchIndexSchema.fieldsTable] {
            let positive = terms.filter { !$0.isNegated && $0.table == table }.map(\.expression)
            if !positive.isEmpty {
                merged.append(Term(table: table, expression: positive.joined(separator: " AND "), isNegated: false))
            }
        }
        self.terms = merged + terms.filter(\.isNegated)
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
    /// it is not given, it is read, and returned as `loaded` for the searches after this one. A few matches
    /// are looked up one by one instead.
    func matches(
        inboxID: Int64, indexSchema: String, membership: InboxMembership?, in db: Database
    ) throws -> (matches: Matches, loaded: InboxMembership?) {
        let largest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM message") ?? 0
        guard largest > 0 else { return (Matches(rows: RowSet(largest: 0), unread: 0), nil) }
        var candidates: RowSet?
        // Positive terms come first, so negated ones only ever remove.
        for term in terms {
            var found = RowSet(largest: largest)
            var scan = RawStatement(
                try db.cachedStatement(sql: "SELECT rowid FROM \(indexSchema)\(term.table) WHERE \(term.table) MATCH ?")
            )
            scan.bind(term.expression)
            try scan.forEachRow(in: db) { found.insert(scan.int64(at: 0)) }
            if var current = candidates {
                if term.isNegated { current.subtract(found) } else { current.formIntersection(found) }
                candidates = current
            } else {
                candidates = found
            }
        }
        guard let candidates else { return (Matches(rows: RowSet(largest: 0), unread: 0), nil) }
        if let membership { return (Self.matches(candidates, in: membership), nil) }
        let stored = try Int.fetchOne(db, sql: "SELECT SUM(message_count) FROM inbox") ?? 0
        guard candidates.count * Self.lookupCostInRows < stored else {
            let loaded = try InboxMembership.load(inboxID: inboxID, largest: largest, in: db)
            return (Self.matches(candidates, in: loaded), loaded)
        }
        // Few candidates: looking each one up costs less than reading the membership.
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
        return (matches, nil)
    }

    private static func matches(_ candidates: RowSet, in membership: InboxMembership) -> Matches {
        var rows = candidates
        rows.formIntersection(membership.members)
        return Matches(rows: rows, unread: rows.countOfIntersection(with: membership.unread))
    }

    /// What looking up one match costs, in rows of a pass over the narrow index.
    private static let lookupCostInRows = 8
}
