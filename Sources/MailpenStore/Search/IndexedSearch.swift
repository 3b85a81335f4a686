import GRDB

/// Finds the matches of a query made only of full-text terms (words, phrases and indexed field
/// substrings, each perhaps negated) by set operations on row ids: one pass over each term's index
/// entries and one over the inbox's membership index give the page and the totals together. Joining
/// every match to its message row instead costs a B-tree lookup per match — for a word in most of 100k
/// messages, three times as long — and a word prefix would be expanded twice, for the page and the count.
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
                terms.append(Term(table: SearchIndexSchema.textTable, expression: expression, isNegated: term.isNegated))
            case .address, .subject, .messageID:
                guard let expression = FieldTest(term.condition)?.matchExpression else { return nil }
                terms.append(Term(table: SearchIndexSchema.fieldsTable, expression: expression, isNegated: term.isNegated))
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

    /// The outcome of a search: every match in the inbox, oldest first, and how many are unread.
    struct Matches {
        var rows: [Int64]
        var unread: Int

        /// The row ids of one page, newest first.
        func page(limit: Int, offset: Int) -> [Int64] {
            guard offset < rows.count, limit > 0 else { return [] }
            let end = rows.count - offset
            return Array(rows[max(0, end - limit)..<end].reversed())
        }
    }

    /// The inbox's messages that match.
    func matches(inboxID: Int64, indexSchema: String, in db: Database) throws -> Matches {
        let largest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM message") ?? 0
        guard largest > 0 else { return Matches(rows: [], unread: 0) }
        var candidates: RowSet?
        // Positive terms come first, so negated ones only ever remove.
        for term in terms {
            var found = RowSet(largest: largest)
            var scan = RawStatement(
                try db.cachedStatement(sql: "SELECT rowid FROM \(indexSchema)\(term.table) WHERE \(term.table) MATCH ?"))
            scan.bind(term.expression)
            try scan.forEachRow(in: db) { found.insert(scan.int64(at: 0)) }
            if var current = candidates {
                if term.isNegated { current.subtract(found) } else { current.formIntersection(found) }
                candidates = current
            } else {
                candidates = found
            }
        }
        guard let candidates else { return Matches(rows: [], unread: 0) }
        let stored = try Int.fetchOne(db, sql: "SELECT SUM(message_count) FROM inbox") ?? 0
        var matches = Matches(rows: [], unread: 0)
        func record(_ row: Int64, isRead: Bool) {
            matches.rows.append(row)
            if !isRead { matches.unread += 1 }
        }
        // Few candidates: look each one up. Many: one pass over the inbox's index entries costs less.
        if candidates.count * Self.lookupCostInRows < stored {
            let lookup = try db.cachedStatement(
                sql: "SELECT inbox_id, is_read FROM message INDEXED BY message_membership WHERE seq = ?")
            for row in candidates {
                var member = RawStatement(lookup)
                member.bind(row)
                try member.forEachRow(in: db) {
                    if member.int64(at: 0) == inboxID { record(row, isRead: member.int64(at: 1) != 0) }
                }
            }
        } else {
            var scan = RawStatement(
                try db.cachedStatement(sql: "SELECT seq, is_read FROM message INDEXED BY message_membership WHERE inbox_id = ?"))
            scan.bind(inboxID)
            try scan.forEachRow(in: db) {
                let row = scan.int64(at: 0)
                if candidates.contains(row) { record(row, isRead: scan.int64(at: 1) != 0) }
            }
        }
        return matches
    }

    /// What looking up one match costs, in rows of a pass over the narrow index.
    private static let lookupCostInRows = 8
}

/// A set of message row ids as a bitmap: a few kilobytes for a hundred thousand messages.
struct RowSet: Sequence {
    private var words: [UInt64]

    /// How many row ids the set holds.
    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    func makeIterator() -> some IteratorProtocol<Int64> {
        var wordIndex = 0
        var word = words.first ?? 0
        let words = self.words
        return AnyIterator<Int64> {
            while word == 0 {
                wordIndex += 1
                guard wordIndex < words.count else { return nil }
                word = words[wordIndex]
            }
            let bit = word.trailingZeroBitCount
            word &= word - 1
            return Int64(wordIndex * 64 + bit)
        }
    }

    /// A set for row ids from 1 to `largest`; larger ones (rows committed after the count began) are ignored.
    init(largest: Int64) {
        words = Array(repeating: 0, count: Int(largest / 64) + 1)
    }

    mutating func insert(_ row: Int64) {
        guard row >= 0, Int(row / 64) < words.count else { return }
        words[Int(row / 64)] |= 1 << UInt64(row % 64)
    }

    func contains(_ row: Int64) -> Bool {
        guard row >= 0, Int(row / 64) < words.count else { return false }
        return words[Int(row / 64)] & (1 << UInt64(row % 64)) != 0
    }

    mutating func formIntersection(_ other: RowSet) {
        for index in words.indices { words[index] &= other.words[index] }
    }

    mutating func subtract(_ other: RowSet) {
        for index in words.indices { words[index] &= ~other.words[index] }
    }
}
