import Foundation

/// A parsed search (DESIGN §5, Mailpit-compatible): space-separated terms that must all match.
///
/// Parsing is separate from running so that the grammar can be tested on its own and a syntax error can
/// point at the character where it happened.
public struct SearchQuery: Sendable, Hashable {
    public var terms: [SearchTerm]

    public init(terms: [SearchTerm]) {
        self.terms = terms
    }

    /// The query that matches everything.
    public static let all = SearchQuery(terms: [])

    /// Parses `text`; an empty or blank text matches everything.
    public init(parsing text: String) throws(SearchSyntaxError) {
        var parser = SearchQueryParser(text)
        self.terms = try parser.parse()
    }
}

/// One term of a search, possibly negated.
public struct SearchTerm: Sendable, Hashable {
    public var isNegated: Bool
    public var condition: SearchCondition

    public init(_ condition: SearchCondition, negated: Bool = false) {
        self.condition = condition
        self.isNegated = negated
    }
}

/// What a term asks of a message. Text values are case-folded (Unicode-aware) at parse time.
public enum SearchCondition: Sendable, Hashable {
    /// A bare word or quoted phrase: subject, addresses and decoded body text.
    case text(String, isPhrase: Bool)
    /// A substring of one address field.
    case address(AddressField, String)
    case subject(String)
    case messageID(String)
    case tag(String)
    /// A header is present (`value == nil`) or contains `value`.
    case header(name: String, value: String?)
    case isRead(Bool)
    case hasAttachment
    case receivedBefore(Date)
    case receivedOnOrAfter(Date)
    case largerThan(Int)
    case smallerThan(Int)

    /// The address fields the grammar knows.
    public enum AddressField: String, Sendable, Hashable, CaseIterable {
        case from, to, cc, bcc
        case replyTo = "reply-to"
        /// Any address header.
        case addressed
        /// The SMTP envelope recipients.
        case recipient = "rcpt"
    }
}

/// Why a search could not be parsed, and where.
public struct SearchSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based character position of the problem.
    public var position: Int
    public var reason: String

    public var description: String { "search syntax error at character \(position): \(reason)" }
}

/// Case folding shared by indexing and searching, so both sides agree.
public enum SearchFolding {
    public static func fold(_ text: String) -> String {
        text.lowercased()
    }
}

struct SearchQueryParser {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        // Control characters cannot be meant as search text: they separate terms like spaces.
        characters = text.map { character in
            character.unicodeScalars.contains { $0.properties.generalCategory == .control } ? " " : character
        }
    }

    mutating func parse() throws(SearchSyntaxError) -> [SearchTerm] {
        var terms: [SearchTerm] = []
        while true {
            skipSpaces()
            guard index < characters.count else { return terms }
            terms.append(try parseTerm())
        }
    }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    private func error(_ reason: String, at position: Int? = nil) -> SearchSyntaxError {
        SearchSyntaxError(position: (position ?? index) + 1, reason: reason)
    }

    private mutating func parseTerm() throws(SearchSyntaxError) -> SearchTerm {
        let start = index
        var negated = false
        if characters[index] == "-" || characters[index] == "!" {
            negated = true
            index += 1
            guard index < characters.count, !characters[index].isWhitespace else {
                throw error("'\(characters[start])' must be followed by a term", at: start)
            }
        }
        if characters[index] == "\"" {
            let phrase = try parseQuoted()
            guard !phrase.isEmpty else { throw error("empty quoted phrase", at: start) }
            return SearchTerm(.text(SearchFolding.fold(phrase), isPhrase: true), negated: negated)
        }
        let wordStart = index
        var word = ""
        while index < characters.count, !characters[index].isWhitespace, characters[index] != ":" {
            if characters[index] == "\"" { break }
            word.append(characters[index])
            index += 1
        }
        if index < characters.count, characters[index] == ":", let field = Self.fields[word.lowercased()] {
            index += 1
            let valueStart = index
            let value = try parseValue()
            guard !value.isEmpty else { throw error("'\(word):' needs a value", at: valueStart) }
            return SearchTerm(try condition(field, value, at: valueStart), negated: negated)
        }
        // A bare word: everything up to the next space (URLs and times keep their colons).
        index = wordStart
        let bare = try parseValue()
        return SearchTerm(.text(SearchFolding.fold(bare), isPhrase: false), negated: negated)
    }

    /// A quoted string or a run of non-space characters (which may contain a quoted part after `=`).
    private mutating func parseValue() throws(SearchSyntaxError) -> String {
        guard index < characters.count else { return "" }
        if characters[index] == "\"" { return try parseQuoted() }
        var value = ""
        while index < characters.count, !characters[index].isWhitespace {
            if characters[index] == "\"" {
                value += try parseQuoted()
            } else {
                value.append(characters[index])
                index += 1
            }
        }
        return value
    }

    private mutating func parseQuoted() throws(SearchSyntaxError) -> String {
        let start = index
        index += 1
        var value = ""
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count {
                value.append(characters[index + 1])
                index += 2
                continue
            }
            if character == "\"" {
                index += 1
                return value
            }
            value.append(character)
            index += 1
        }
        throw error("unterminated quote", at: start)
    }

    private enum Field {
        case address(SearchCondition.AddressField)
        case subject, messageID, tag, header, isFlag, has, before, after, larger, smaller
    }

    private static let fields: [String: Field] = {
        var fields: [String: Field] = [
            "subject": .subject, "message-id": .messageID, "tag": .tag, "header": .header, "is": .isFlag, "has": .has,
            "before": .before, "after": .after, "larger": .larger, "smaller": .smaller,
        ]
        for field in SearchCondition.AddressField.allCases { fields[field.rawValue] = .address(field) }
        return fields
    }()

    private func condition(_ field: Field, _ value: String, at position: Int) throws(SearchSyntaxError) -> SearchCondition {
        switch field {
        case .address(let addressField):
            return .address(addressField, SearchFolding.fold(value))
        case .subject:
            return .subject(SearchFolding.fold(value))
        case .messageID:
            var id = value
            if id.hasPrefix("<") && id.hasSuffix(">") && id.count > 2 { id = String(id.dropFirst().dropLast()) }
            return .messageID(SearchFolding.fold(id))
        case .tag:
            return .tag(SearchFolding.fold(value))
        case .header:
            if let equals = value.firstIndex(of: "=") {
                let name = String(value[..<equals])
                let headerValue = String(value[value.index(after: equals)...])
                guard !name.isEmpty else { throw error("header: needs a name, as in header:X-Campaign=spring", at: position) }
                return .header(
                    name: SearchFolding.fold(name), value: headerValue.isEmpty ? nil : SearchFolding.fold(headerValue))
            }
            return .header(name: SearchFolding.fold(value), value: nil)
        case .isFlag:
            switch value.lowercased() {
            case "read": return .isRead(true)
            case "unread": return .isRead(false)
            default: throw error("is: takes 'read' or 'unread', not '\(value)'", at: position)
            }
        case .has:
            switch value.lowercased() {
            case "attachment", "attachments": return .hasAttachment
            default: throw error("has: takes 'attachment', not '\(value)'", at: position)
            }
        case .before, .after:
            guard let date = Self.parseDay(value) else {
                throw error("dates are written YYYY-MM-DD, not '\(value)'", at: position)
            }
            if case .before = field { return .receivedBefore(date) }
            return .receivedOnOrAfter(date)
        case .larger, .smaller:
            guard let size = Self.parseSize(value) else {
                throw error("sizes are written like 500, 10k or 2m, not '\(value)'", at: position)
            }
            if case .larger = field { return .largerThan(size) }
            return .smallerThan(size)
        }
    }

    /// `YYYY-MM-DD` as midnight UTC.
    static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
            calendar.component(.day, from: date) == day
        else { return nil }
        return date
    }

    /// A byte count with an optional `b`, `k` or `m` suffix (1024-based).
    static func parseSize(_ text: String) -> Int? {
        let lowered = text.lowercased()
        let digits = lowered.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 12, let number = Int(digits) else { return nil }
        var unit = lowered.dropFirst(digits.count)
        if unit.hasSuffix("b") && unit.count > 1 { unit = unit.dropLast() }
        switch unit {
        case "", "b": return number
        case "k": return number * 1024
        case "m": return number * 1024 * 1024
        case "g": return number * 1024 * 1024 * 1024
        default: return nil
        }
    }
}
