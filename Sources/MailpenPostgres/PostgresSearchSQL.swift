import Foundation
import MailpenStore

/// Turns a ``MessageQuery`` into SQL conditions on `message_search s`, to give the answers the SQLite
/// store gives: words and phrases against the word vector (``WordQuery``), field terms as substrings of the
/// same case-folded texts (`LIKE`, which the `pg_trgm` index narrows and the text itself confirms), flags,
/// dates, sizes and tags against columns.
struct PostgresSearchSQL {
    private(set) var conditions: [String] = []
    /// Whether the rows should come from the word index: a word or phrase must match, and no marker
    /// narrows the statement to recent mail.
    private let takesRowsFromWords: Bool

    /// The conditions of `query`'s search and marker (not its inbox), binding their values in `builder`.
    /// `fewRows` says the statement tests a few known rows (a wait's new messages), which may then be
    /// tested against their own word vectors.
    ///
    /// Elsewhere no row's word vector is read, as each is stored out of line and reading them is what makes
    /// a search slow: a word that must match is answered by the indexes (``WordQuery``), and one that must
    /// not by the set of rows they give. A negated field or header term, whose texts are out of line too,
    /// is answered by its rows in the same way.
    init(_ query: MessageQuery, fewRows: Bool = false, into builder: inout SQLBuilder) throws {
        takesRowsFromWords =
            query.since == nil
            && query.search.terms.contains {
                guard case .text = $0.condition else { return false }
                return !$0.isNegated
            }
        // The marker first: it is the cheapest test, and a row it rules out is not tested further.
        switch query.since {
        case .time(let date):
            conditions.append("s.received_at > \(try builder.bind(date.milliseconds))")
        case .message(let id):
            conditions.append("s.id > \(try builder.bind(StoredText.cut(id)))")
        case nil:
            break
        }
        // Words that must match make one `tsquery`, which the word index answers in one pass: as separate
        // conditions, the planner would take one word's rows from the index and test the others on each
        // row's vector.
        var wordsToMatch: [WordQuery] = []
        for term in query.search.terms {
            if !term.isNegated, case .text(let value, let isPhrase) = term.condition,
                let words = Self.wordQuery(value, isPhrase: isPhrase)
            {
                wordsToMatch.append(words)
                continue
            }
            guard term.isNegated, !fewRows, Self.readsTextOutOfLine(term.condition) else {
                let condition = try Self.condition(term.condition, on: "s", fewRows: fewRows, into: &builder)
                conditions.append(term.isNegated ? "NOT COALESCE(\(condition), false)" : condition)
                continue
            }
            let matching = try Self.condition(term.condition, on: "w", into: &builder)
            conditions.append("NOT COALESCE(s.seq IN (SELECT w.seq FROM message_search w WHERE \(matching)), false)")
        }
        if !wordsToMatch.isEmpty {
            conditions.append(try WordQuery.allOf(wordsToMatch, on: "s", into: &builder))
        }
    }

    /// Whether `search` has a term on the texts the indexer fills (words, fields, headers), which a message
    /// matches only once they are filled.
    static func readsTexts(_ search: SearchQuery) -> Bool {
        search.terms.contains { term in
            switch term.condition {
            case .text, .address, .subject, .messageID, .header: true
            case .tag, .isRead, .hasAttachment, .receivedBefore, .receivedOnOrAfter, .largerThan, .smallerThan: false
            }
        }
    }

    /// Whether testing `condition` on a row reads text stored out of line (the word vector, the field and
    /// header texts): negated, such a term is answered by the set of rows its indexes give rather than
    /// row by row.
    private static func readsTextOutOfLine(_ condition: SearchCondition) -> Bool {
        switch condition {
        case .text, .address, .subject, .messageID: true
        // An indexable name is answered by the header table, already a set of rows.
        case .header(let name, _): !HeaderRows.isIndexable(name: StoredText.cut(name))
        case .tag, .isRead, .hasAttachment, .receivedBefore, .receivedOnOrAfter, .largerThan, .smallerThan: false
        }
    }

    /// The condition that a row of `message_search s` is in the inbox whose id is `inboxID`. When the rows
    /// should come from the word index, it is written so that the inbox's index cannot serve it: the
    /// planner, which does not price reading word vectors, would otherwise take every row of the inbox
    /// from that index and test each one's vector.
    func inboxCondition(_ inboxID: String) -> String {
        takesRowsFromWords ? "s.inbox_id + 0 = \(inboxID)" : "s.inbox_id = \(inboxID)"
    }

    /// The conditions joined for a WHERE clause (`true` when there are none).
    var whereClause: String {
        conditions.isEmpty ? "true" : conditions.joined(separator: " AND ")
    }

    /// A word or phrase term on the `message_search` row named `table`.
    private static func textCondition(
        _ value: String, isPhrase: Bool, on table: String, into builder: inout SQLBuilder
    ) throws -> String {
        guard let words = wordQuery(value, isPhrase: isPhrase) else {
            // The SQLite store's rule: text without letters or digits is looked for in subject and addresses.
            let test = FieldTest(columns: ["subject", "addr_all"], value: StoredText.cut(value))
            return try fieldCondition(test, on: table, into: &builder)
        }
        return try WordQuery.allOf([words], on: table, into: &builder)
    }

    /// The words of a word or phrase term, or `nil` for text without letters or digits.
    private static func wordQuery(_ value: String, isPhrase: Bool) -> WordQuery? {
        let value = StoredText.cut(value)
        guard SearchSQL.ftsExpression(value, isPhrase: isPhrase) != nil else { return nil }
        return WordQuery(value, isPhrase: isPhrase)
    }

    /// `condition` on the `message_search` row named `table`; `fewRows` as for ``init(_:fewRows:into:)``.
    static func condition(
        _ condition: SearchCondition, on table: String, fewRows: Bool = false, into builder: inout SQLBuilder
    ) throws -> String {
        switch condition {
        case .text(let value, let isPhrase):
            return try textCondition(value, isPhrase: isPhrase, on: table, into: &builder)
        case .address, .subject, .messageID:
            guard let test = FieldTest(condition) else { return "false" }
            return try fieldCondition(test, on: table, into: &builder)
        case .header(let name, let value):
            let name = StoredText.cut(name)
            let value = StoredText.cut(value)
            if HeaderRows.isIndexable(name: name) {
                return try HeaderRows.condition(
                    name: name, value: value, on: table, joinedByHash: !fewRows, into: &builder)
            }
            // A name the header table cannot answer: each row's header text is tested by the function, which
            // checks that name and value are on one line (no index covers that text).
            return "mailpen_header_matches(\(table).headers, \(try builder.bind(name)), \(try builder.bind(value)))"
        case .tag(let tag):
            return "\(table).seq IN (SELECT seq FROM \(try taggedRows(tag, into: &builder)))"
        case .isRead(let isRead):
            return "\(table).is_read = \(try builder.bind(isRead))"
        case .hasAttachment:
            return "\(table).attachment_count > 0"
        case .receivedBefore(let date):
            return "\(table).received_at < \(try builder.bind(SearchSQL.milliseconds(date)))"
        case .receivedOnOrAfter(let date):
            return "\(table).received_at >= \(try builder.bind(SearchSQL.milliseconds(date)))"
        case .largerThan(let size):
            return "\(table).size > \(try builder.bind(Int64(size)))"
        case .smallerThan(let size):
            return "\(table).size < \(try builder.bind(Int64(size)))"
        }
    }

    /// The rows of messages tagged `tag`, as `message_tag` with its condition.
    static func taggedRows(_ tag: String, into builder: inout SQLBuilder) throws -> String {
        "message_tag WHERE tag = \(try builder.bind(StoredText.cut(tag)))"
    }

    /// `value` anywhere in any of the test's columns of the row named `table`, compared code point by code
    /// point.
    private static func fieldCondition(
        _ test: FieldTest, on table: String, into builder: inout SQLBuilder
    ) throws -> String {
        let pattern = try builder.bind(likePattern(StoredText.cut(test.value)))
        return "(" + test.columns.map { "\(table).\($0) LIKE \(pattern)" }.joined(separator: " OR ") + ")"
    }

    /// A `LIKE` pattern matching `value` anywhere: `%` and `_` and the escape character `\` escaped.
    static func likePattern(_ value: String) -> String {
        var pattern = "%"
        for scalar in value.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" { pattern.unicodeScalars.append("\\") }
            pattern.unicodeScalars.append(scalar)
        }
        return pattern + "%"
    }
}

/// A word or phrase term: its tokens as FTS5 makes them, as a `tsquery` over the word vectors and as a
/// substring of the token text of messages without one (see ``SearchWords``).
///
/// A bare word is a prefix of a word, as FTS5's `"word"*` is: its last token is matched as a prefix. A
/// term of one token is that lexeme; of two, their pair lexeme; of more, the chain of their pairs, each
/// one position after the last.
struct WordQuery {
    /// The `tsquery`, or `nil` when no vector can match (no tokens, or one longer than any vector holds).
    var tsquery: String?
    /// What the token text of a message without a vector must contain, or `nil` when nothing can.
    var needle: String?
    /// The `tsquery` of every token, without order, over the word sets of messages without a vector; `nil`
    /// when there are no tokens.
    var setQuery: String?

    init(_ value: String, isPhrase: Bool) {
        let tokens = Unicode61Tokenizer.tokens(value)
        guard !tokens.isEmpty else {
            // An FTS5 phrase without tokens matches nothing.
            tsquery = nil
            setQuery = nil
            needle = nil
            return
        }
        let isPrefix = !isPhrase
        needle = " " + tokens.joined(separator: " ") + (isPrefix ? "" : " ")
        let suffix = isPrefix ? ":*" : ""
        // Every word of the term, in any order: what a message's word set must hold for the term to match. A
        // word longer than a set keeps is looked for by the beginning the set keeps of it.
        // (Any word that has a cut token as its beginning, or is it, has the same cut.)
        setQuery = tokens.enumerated().map { index, token in
            Self.quoted(String(decoding: SearchWords.setLexeme(token.utf8), as: UTF8.self))
                + (index == tokens.count - 1 ? suffix : "")
        }.joined(separator: " & ")
        guard tokens.allSatisfy({ $0.utf8.count <= SearchWords.longestToken }) else {
            tsquery = nil
            return
        }
        if tokens.count == 1 {
            tsquery = Self.quoted(tokens[0]) + suffix
        } else {
            let pairs = zip(tokens, tokens.dropFirst()).map { first, second in
                Self.quoted(String(decoding: SearchWords.pairLexeme(first.utf8, second.utf8), as: UTF8.self))
            }
            tsquery = pairs.joined(separator: " <-> ") + suffix
        }
    }

    /// The condition that every one of `queries` matches the `message_search` row named `table`. Its first
    /// half is answered by indexes alone (the word index; for messages without a vector, the index of their
    /// word sets, or the trigram index of the `tokens` of those without a set), so the planner can take the
    /// rows from the indexes; a condition no index answered would be tested row by row, reading each row's
    /// vector. A row has a vector or tokens, never both, so each part may test all the queries at once.
    ///
    /// A word set only says that a message has every word somewhere, so the second half reads the text of
    /// such a message, and only of such a message: its test of every other row stops at their null `tokens`
    /// without reading anything. Without the sets, each word term of a search would read the whole text of
    /// every message without a vector, however few hold the word.
    static func allOf(_ queries: [WordQuery], on table: String, into builder: inout SQLBuilder) throws -> String {
        var needles: [String] = []
        var tsqueries: [String] = []
        var setQueries: [String] = []
        for query in queries {
            guard let needle = query.needle, let setQuery = query.setQuery else { return "false" }
            needles.append("\(table).tokens LIKE \(try builder.bind(PostgresSearchSQL.likePattern(needle)))")
            setQueries.append(setQuery)
            if let tsquery = query.tsquery { tsqueries.append(tsquery) }
        }
        let texts = needles.count == 1 ? needles[0] : "(" + needles.joined(separator: " AND ") + ")"
        let setQuery = setQueries.map { "(\($0))" }.joined(separator: " & ")
        var indexed = [
            "\(table).word_set @@ \(try builder.bind(setQuery))::tsquery",
            "(\(table).word_set IS NULL AND \(texts))",
        ]
        // A query without a `tsquery` (a word longer than a vector holds) matches no vector, nor does the whole.
        if tsqueries.count == queries.count {
            let tsquery = tsqueries.count == 1 ? tsqueries[0] : tsqueries.map { "(\($0))" }.joined(separator: " & ")
            indexed.insert("\(table).words @@ \(try builder.bind(tsquery))::tsquery", at: 0)
        }
        let exact = "(\(table).tokens IS NULL OR \(table).word_set IS NULL OR \(texts))"
        return "((\(indexed.joined(separator: " OR "))) AND \(exact))"
    }

    /// A lexeme in `tsquery` syntax: between single quotes, quotes and backslashes doubled.
    private static func quoted(_ lexeme: String) -> String {
        var text = "'"
        for scalar in lexeme.unicodeScalars {
            if scalar == "'" || scalar == "\\" { text.unicodeScalars.append(scalar) }
            text.unicodeScalars.append(scalar)
        }
        return text + "'"
    }
}
