import Foundation
import GRDB

/// Turns a ``SearchQuery`` into SQL conditions on `message m`: word terms go to the full-text index,
/// field terms to the substring (trigram) index, flags, dates and sizes to indexed columns of `message`.
package struct SearchSQL {
    /// The FROM clause: `message m`, joined to the search table that drives the query when there is one —
    /// with CROSS JOIN, which makes SQLite read the search table first: probing it per message instead
    /// (its natural choice for a count) evaluates the full-text match again for every row.
    private(set) var from = "message m"
    /// The column to order by for "newest first": the driving table's rowid, so that SQLite can walk it
    /// backwards and stop after a page, or `m.seq`.
    private(set) var order = "m.seq"
    private(set) var conditions: [String] = []
    private(set) var arguments = StatementArguments()
    /// Whether any condition needs the search index (and so sees only messages indexed so far).
    private(set) var usesIndex = false

    /// Where the index tables are: `"search."` when attached.
    let indexSchema: String

    /// Compiles `query`. Positive words (or, without words, positive field terms) become a join on the
    /// search table, which then drives the query newest first: a page of a common word reads one page of
    /// the index, a rare word reads only its few entries. Everything else becomes a condition.
    init(_ query: SearchQuery, indexSchema: String = "search.") {
        self.indexSchema = indexSchema
        var words: [String] = []
        var fieldTests: [FieldTest] = []
        var rest: [SearchTerm] = []
        for term in query.terms {
            guard !term.isNegated else {
                rest.append(term)
                continue
            }
            switch term.condition {
            case .text(let value, let isPhrase):
                if let expression = Self.ftsExpression(value, isPhrase: isPhrase) {
                    words.append(expression)
                } else {
                    rest.append(term)
                }
            case .address, .subject, .messageID:
                if let test = FieldTest(term.condition) { fieldTests.append(test) } else { rest.append(term) }
            default:
                rest.append(term)
            }
        }
        if !words.isEmpty {
            usesIndex = true
            from = "\(indexSchema)\(SearchIndexSchema.textTable) t CROSS JOIN message m ON m.seq = t.rowid"
            order = "t.rowid"
            conditions.append("t.\(SearchIndexSchema.textTable) MATCH ?")
            arguments += [words.joined(separator: " AND ")]
            // Field terms are then conditions of their own.
            for test in fieldTests {
                let (condition, values) = fieldSubquery(test)
                conditions.append(condition)
                arguments += StatementArguments(values)
            }
        } else if !fieldTests.isEmpty {
            usesIndex = true
            from = "\(indexSchema)\(SearchIndexSchema.fieldsTable) f CROSS JOIN message m ON m.seq = f.rowid"
            order = "f.rowid"
            let indexed = fieldTests.compactMap(\.matchExpression)
            if !indexed.isEmpty {
                conditions.append("f.\(SearchIndexSchema.fieldsTable) MATCH ?")
                arguments += [indexed.joined(separator: " AND ")]
            }
            for test in fieldTests where test.matchExpression == nil {
                conditions.append(test.globCondition(prefix: "f."))
                arguments += StatementArguments(test.globArguments)
            }
        }
        for term in rest {
            let (condition, values) = compile(term.condition)
            conditions.append(term.isNegated ? "NOT (\(condition))" : condition)
            arguments += StatementArguments(values)
        }
    }

    /// The conditions joined for a WHERE clause (`1` when there are none).
    var whereClause: String {
        conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
    }

    /// `m.seq IN (…)` over the fields table for one field test.
    private func fieldSubquery(_ test: FieldTest) -> (String, [(any DatabaseValueConvertible)?]) {
        let table = "\(indexSchema)\(SearchIndexSchema.fieldsTable)"
        if let expression = test.matchExpression {
            return (
                "m.seq IN (SELECT rowid FROM \(table) WHERE \(SearchIndexSchema.fieldsTable) MATCH ?)", [expression]
            )
        }
        return ("m.seq IN (SELECT rowid FROM \(table) WHERE \(test.globCondition(prefix: "")))", test.globArguments)
    }

    private mutating func compile(_ condition: SearchCondition) -> (String, [(any DatabaseValueConvertible)?]) {
        switch condition {
        case .text(let value, let isPhrase):
            usesIndex = true
            if let expression = Self.ftsExpression(value, isPhrase: isPhrase) {
                return (
                    "m.seq IN (SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.textTable) WHERE \(SearchIndexSchema.textTable) MATCH ?)",
                    [expression]
                )
            }
            // Punctuation only: no words to look up, so look for the characters in subject and addresses.
            return fieldSubquery(FieldTest(columns: ["subject", "addr_all"], value: value))
        case .address, .subject, .messageID:
            usesIndex = true
            guard let test = FieldTest(condition) else { return ("0", []) }
            return fieldSubquery(test)
        case .header(let name, let value):
            usesIndex = true
            guard HeaderEntries.isIndexable(name: name) else {
                // A name the header table's split cannot answer: test every message's stored header lines.
                return (
                    """
                    m.seq IN (SELECT seq FROM \(indexSchema)\(SearchIndexSchema.headerLinesTable)
                    WHERE mailpen_header_matches(lines, ?, ?))
                    """,
                    [name, value]
                )
            }
            let query = HeaderEntries.rowsQuery(name: name, value: value, schema: indexSchema)
            return ("m.seq IN (\(query.sql))", query.arguments.map { $0 })
        case .tag(let tag):
            return ("m.seq IN (SELECT seq FROM message_tag WHERE tag = ?)", [tag])
        case .isRead(let isRead):
            return ("m.is_read = ?", [isRead])
        case .hasAttachment:
            return ("m.attachment_count > 0", [])
        case .receivedBefore(let date):
            return ("m.received_at < ?", [Self.milliseconds(date)])
        case .receivedOnOrAfter(let date):
            return ("m.received_at >= ?", [Self.milliseconds(date)])
        case .largerThan(let size):
            return ("m.size > ?", [size])
        case .smallerThan(let size):
            return ("m.size < ?", [size])
        }
    }

    /// An FTS5 expression for a word (matched as a word prefix) or a phrase, or `nil` when `value` has no
    /// letters or digits to look up.
    package static func ftsExpression(_ value: String, isPhrase: Bool) -> String? {
        guard value.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        else {
            return nil
        }
        let quoted = FieldTest.quoted(value)
        return isPhrase ? quoted : quoted + "*"
    }

    /// `date` as `received_at` holds it, in milliseconds, held to what an Int64 can take: the parser gives
    /// only days of the years 1 to 9999, but a query built in code may hold any date, and converting one out
    /// of range (or NaN) would trap.
    package static func milliseconds(_ date: Date) -> Int64 {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard !milliseconds.isNaN else { return 0 }
        // Double(Int64.max) rounds up to 2^63, which is already out of range.
        guard milliseconds < Double(Int64.max) else { return .max }
        guard milliseconds > Double(Int64.min) else { return .min }
        return Int64(milliseconds)
    }

    /// `value` as a GLOB pattern matching exactly it. Scalar by scalar, as SQLite reads it: a `*` followed
    /// by a combining mark is one Character in Swift, and would otherwise slip through as a wildcard.
    static func globLiteral(_ value: String) -> String {
        var pattern = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*", "?", "[": pattern.append(contentsOf: ["[", scalar, "]"])
            default: pattern.append(scalar)
            }
        }
        return String(pattern)
    }
}

/// A field term against the substring (trigram) index: the columns it looks in and the text it looks for.
package struct FieldTest: Sendable {
    package var columns: [String]
    package var value: String

    package init(columns: [String], value: String) {
        self.columns = columns
        self.value = value
    }

    package init?(_ condition: SearchCondition) {
        switch condition {
        case .address(let field, let value):
            switch field {
            case .from: columns = ["addr_from"]
            case .to: columns = ["addr_to"]
            case .cc: columns = ["addr_cc"]
            case .bcc: columns = ["addr_bcc"]
            case .replyTo: columns = ["addr_reply_to"]
            case .addressed: columns = ["addr_all"]
            case .recipient: columns = ["rcpt"]
            }
            self.value = value
        case .subject(let value):
            columns = ["subject"]
            self.value = value
        case .messageID(let value):
            columns = ["message_id"]
            self.value = value
        default:
            return nil
        }
    }

    /// An FTS5 column-filtered phrase (the trigram index finds substrings of three or more characters
    /// without reading the stored text), or `nil` for shorter text.
    var matchExpression: String? {
        guard value.unicodeScalars.count >= 3 else { return nil }
        let filter = columns.count == 1 ? columns[0] : "{\(columns.joined(separator: " "))}"
        return "\(filter) : \(Self.quoted(value))"
    }

    /// A GLOB test for text too short for the index. The unary plus keeps it from being handed to FTS5 as a
    /// constraint: FTS5 cannot use a pattern this short anyway, and SQLite 3.40 (Debian 12's) crashes when it
    /// gets two such patterns, the second with non-ASCII characters (`subject:ab from:éé`).
    func globCondition(prefix: String) -> String {
        "(" + columns.map { "+\(prefix)\($0) GLOB ?" }.joined(separator: " OR ") + ")"
    }

    var globArguments: [(any DatabaseValueConvertible)?] {
        globPatterns
    }

    /// The GLOB pattern for each column.
    var globPatterns: [String] {
        Array(repeating: "*" + SearchSQL.globLiteral(value) + "*", count: columns.count)
    }

    /// `text` as an FTS5 string: between double quotes, quotes doubled. Scalar by scalar, as FTS5 reads it:
    /// `replacingOccurrences` compares Characters, and misses a quote followed by a combining mark.
    static func quoted(_ text: String) -> String {
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted.append(scalar) }
            quoted.append(scalar)
        }
        quoted.append("\"")
        return String(quoted)
    }
}
