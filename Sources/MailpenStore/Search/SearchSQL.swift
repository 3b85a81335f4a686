import Foundation
import GRDB

/// Turns a ``SearchQuery`` into SQL conditions on `message m`: word terms go to the full-text index,
/// field terms to the substring (trigram) index, flags, dates and sizes to indexed columns of `message`.
struct SearchSQL {
    private(set) var conditions: [String] = []
    private(set) var arguments = StatementArguments()
    /// Whether any condition needs the search index (and so sees only messages indexed so far).
    private(set) var usesIndex = false

    /// Where the index tables are: `"search."` when attached.
    let indexSchema: String

    init(_ query: SearchQuery, indexSchema: String = "search.") {
        self.indexSchema = indexSchema
        var positiveWords: [String] = []
        for term in query.terms {
            if case .text(let value, let isPhrase) = term.condition, !term.isNegated,
                let expression = Self.ftsExpression(value, isPhrase: isPhrase)
            {
                positiveWords.append(expression)
                continue
            }
            let (condition, values) = compile(term.condition)
            conditions.append(term.isNegated ? "NOT (\(condition))" : condition)
            arguments += StatementArguments(values)
        }
        if !positiveWords.isEmpty {
            usesIndex = true
            conditions.insert(
                "m.seq IN (SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.textTable) WHERE \(SearchIndexSchema.textTable) MATCH ?)",
                at: 0)
            var combined = StatementArguments([positiveWords.joined(separator: " AND ")])
            combined += arguments
            arguments = combined
        }
    }

    /// The conditions joined for a WHERE clause (`1` when there are none).
    var whereClause: String {
        conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
    }

    private mutating func compile(_ condition: SearchCondition) -> (String, [(any DatabaseValueConvertible)?]) {
        switch condition {
        case .text(let value, let isPhrase):
            if let expression = Self.ftsExpression(value, isPhrase: isPhrase) {
                usesIndex = true
                return (
                    "m.seq IN (SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.textTable) WHERE \(SearchIndexSchema.textTable) MATCH ?)",
                    [expression]
                )
            }
            // Punctuation only: no words to look up, so look for the characters in subject and addresses.
            return fields(["subject", "addr_all"], containing: value)
        case .address(let field, let value):
            let column: String
            switch field {
            case .from: column = "addr_from"
            case .to: column = "addr_to"
            case .cc: column = "addr_cc"
            case .bcc: column = "addr_bcc"
            case .replyTo: column = "addr_reply_to"
            case .addressed: column = "addr_all"
            case .recipient: column = "rcpt"
            }
            return fields([column], containing: value)
        case .subject(let value):
            return fields(["subject"], containing: value)
        case .messageID(let value):
            return fields(["message_id"], containing: value)
        case .header(let name, let value):
            usesIndex = true
            let pattern = "*\n" + Self.globLiteral(name) + ": *" + (value.map { Self.globLiteral($0) + "*" } ?? "")
            return (
                """
                m.seq IN (SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.fieldsTable)
                WHERE headers GLOB ? AND mailpen_header_matches(headers, ?, ?))
                """,
                [pattern, name, value]
            )
        case .tag(let tag):
            return ("m.seq IN (SELECT seq FROM message_tag WHERE tag = ?)", [tag])
        case .isRead(let isRead):
            return ("m.is_read = ?", [isRead])
        case .hasAttachment:
            return ("m.attachment_count > 0", [])
        case .receivedBefore(let date):
            return ("m.received_at < ?", [date.milliseconds])
        case .receivedOnOrAfter(let date):
            return ("m.received_at >= ?", [date.milliseconds])
        case .largerThan(let size):
            return ("m.size > ?", [size])
        case .smallerThan(let size):
            return ("m.size < ?", [size])
        }
    }

    private mutating func fields(_ columns: [String], containing value: String) -> (String, [(any DatabaseValueConvertible)?]) {
        usesIndex = true
        let pattern = "*" + Self.globLiteral(value) + "*"
        let test = columns.map { "\($0) GLOB ?" }.joined(separator: " OR ")
        return (
            "m.seq IN (SELECT rowid FROM \(indexSchema)\(SearchIndexSchema.fieldsTable) WHERE \(test))",
            Array(repeating: pattern, count: columns.count)
        )
    }

    /// An FTS5 expression for a word (matched as a word prefix) or a phrase, or `nil` when `value` has no
    /// letters or digits to look up.
    static func ftsExpression(_ value: String, isPhrase: Bool) -> String? {
        guard value.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil }) else {
            return nil
        }
        let quoted = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        return isPhrase ? quoted : quoted + "*"
    }

    /// `value` as a GLOB pattern matching exactly it.
    static func globLiteral(_ value: String) -> String {
        var pattern = ""
        for character in value {
            switch character {
            case "*", "?", "[": pattern += "[\(character)]"
            default: pattern.append(character)
            }
        }
        return pattern
    }
}
