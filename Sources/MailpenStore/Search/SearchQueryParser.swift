import Foundation

/// Reads the search grammar (see ``SearchQuery``) one Unicode scalar at a time: the characters that give
/// a query its structure (spaces, quotes, backslashes, colons, `-` and `!`) then keep their meaning next
/// to a combining mark, which would otherwise join them into a character of its own. Positions in errors
/// count characters, as people see them.
struct SearchQueryParser {
    private let scalars: [Unicode.Scalar]
    /// The 1-based character position of each scalar, then that of the end (one past the last character).
    private let positions: [Int]
    private var index = 0
    /// Words in the word and phrase terms read so far.
    private var words = 0

    init(_ text: String) {
        var scalars: [Unicode.Scalar] = []
        var positions: [Int] = []
        var position = 1
        for character in text {
            for scalar in character.unicodeScalars {
                // Control characters cannot be meant as search text: they separate terms like spaces.
                scalars.append(scalar.properties.generalCategory == .control ? " " : scalar)
                positions.append(position)
            }
            position += 1
        }
        positions.append(position)
        self.scalars = scalars
        self.positions = positions
    }

    mutating func parse() throws(SearchSyntaxError) -> [SearchTerm] {
        var terms: [SearchTerm] = []
        while true {
            skipSpaces()
            guard index < scalars.count else { return terms }
            guard terms.count < SearchQuery.maximumTerms else {
                throw error("a search has at most \(SearchQuery.maximumTerms) terms")
            }
            terms.append(try parseTerm())
        }
    }

    /// Whether `scalar` separates terms (control characters have become spaces by then).
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// Whether `name` (any case) is one of the grammar's fields, as in `name:value`.
    static func isField(_ name: String) -> Bool {
        fields[name.lowercased()] != nil
    }

    private mutating func skipSpaces() {
        while index < scalars.count, Self.isSpace(scalars[index]) { index += 1 }
    }

    private func error(_ reason: String, at offset: Int? = nil) -> SearchSyntaxError {
        SearchSyntaxError(position: positions[offset ?? index], reason: reason)
    }

    private mutating func parseTerm() throws(SearchSyntaxError) -> SearchTerm {
        let start = index
        var negated = false
        if scalars[index] == "-" || scalars[index] == "!" {
            negated = true
            index += 1
            guard index < scalars.count, !Self.isSpace(scalars[index]) else {
                throw error("'\(scalars[start])' must be followed by a term", at: start)
            }
        }
        if scalars[index] == "\"" {
            let phrase = try parseQuoted()
            guard !phrase.isEmpty else { throw error("empty quoted phrase", at: start) }
            return SearchTerm(try text(SearchFolding.fold(phrase), isPhrase: true, at: start), negated: negated)
        }
        let wordStart = index
        var word = String.UnicodeScalarView()
        while index < scalars.count, !Self.isSpace(scalars[index]), scalars[index] != ":", scalars[index] != "\"" {
            word.append(scalars[index])
            index += 1
        }
        if index < scalars.count, scalars[index] == ":", let field = Self.fields[String(word).lowercased()] {
            index += 1
            let valueStart = index
            let value = try parseValue()
            guard !value.isEmpty else { throw error("'\(String(word)):' needs a value", at: valueStart) }
            return SearchTerm(try condition(field, value, at: valueStart), negated: negated)
        }
        // A bare word: everything up to the next space (URLs and times keep their colons).
        index = wordStart
        let bare = try parseValue()
        return SearchTerm(try text(SearchFolding.fold(bare), isPhrase: false, at: start), negated: negated)
    }

    /// A word or phrase condition, refused when it has more words than a term may, or brings the search's
    /// past what a search may have.
    private mutating func text(_ value: String, isPhrase: Bool, at start: Int) throws(SearchSyntaxError)
        -> SearchCondition
    {
        let count = SearchQuery.wordCount(of: value)
        guard count <= SearchQuery.maximumWordsPerTerm else {
            throw error(
                "a word or phrase has at most \(SearchQuery.maximumWordsPerTerm) words, not \(count)", at: start)
        }
        words += count
        guard words <= SearchQuery.maximumWords else {
            throw error("a search has at most \(SearchQuery.maximumWords) words in its words and phrases", at: start)
        }
        return .text(value, isPhrase: isPhrase)
    }

    /// A quoted string or a run of non-space characters (which may contain a quoted part after `=`).
    private mutating func parseValue() throws(SearchSyntaxError) -> String {
        guard index < scalars.count else { return "" }
        if scalars[index] == "\"" { return try parseQuoted() }
        var value = ""
        while index < scalars.count, !Self.isSpace(scalars[index]) {
            if scalars[index] == "\"" {
                value += try parseQuoted()
            } else {
                value.unicodeScalars.append(scalars[index])
                index += 1
            }
        }
        return value
    }

    /// A quoted string, in which a backslash takes the character after it literally.
    private mutating func parseQuoted() throws(SearchSyntaxError) -> String {
        let start = index
        index += 1
        var value = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\\", index + 1 < scalars.count {
                value.append(scalars[index + 1])
                index += 2
                continue
            }
            if scalar == "\"" {
                index += 1
                return String(value)
            }
            value.append(scalar)
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

    private func condition(_ field: Field, _ value: String, at position: Int) throws(SearchSyntaxError)
        -> SearchCondition
    {
        switch field {
        case .address(let addressField):
            return .address(addressField, SearchFolding.fold(value))
        case .subject:
            return .subject(SearchFolding.fold(value))
        case .messageID:
            return .messageID(SearchFolding.fold(Self.messageID(value)))
        case .tag:
            return .tag(SearchFolding.fold(value))
        case .header:
            let scalars = value.unicodeScalars
            if let equals = scalars.firstIndex(of: "=") {
                let name = String(scalars[..<equals])
                let headerValue = String(scalars[scalars.index(after: equals)...])
                guard !name.isEmpty else {
                    throw error("header: needs a name, as in header:X-Campaign=spring", at: position)
                }
                return .header(
                    name: SearchFolding.fold(name), value: headerValue.isEmpty ? nil : SearchFolding.fold(headerValue))
            }
            return .header(name: SearchFolding.fold(value), value: nil)
        case .isFlag:
            switch value.lowercased() {
            case "read": return .isRead(true)
            case "unread": return .isRead(false)
            default: throw error("is: takes 'read' or 'unread', not '\(Self.shown(value))'", at: position)
            }
        case .has:
            switch value.lowercased() {
            case "attachment", "attachments": return .hasAttachment
            default: throw error("has: takes 'attachment', not '\(Self.shown(value))'", at: position)
            }
        case .before, .after:
            let date: Date
            do throws(DayProblem) {
                date = try Self.day(value)
            } catch {
                switch error {
                case .malformed:
                    throw self.error("dates are written YYYY-MM-DD, not '\(Self.shown(value))'", at: position)
                case .noSuchDay:
                    throw self.error(
                        "dates are written YYYY-MM-DD, and '\(Self.shown(value))' is not a day"
                            + " from 0001-01-01 to 9999-12-31", at: position)
                }
            }
            if case .before = field { return .receivedBefore(date) }
            return .receivedOnOrAfter(date)
        case .larger, .smaller:
            let size: Int
            do throws(SizeProblem) {
                size = try Self.size(value)
            } catch {
                switch error {
                case .malformed:
                    throw self.error("sizes are written like 500, 10k or 2m, not '\(Self.shown(value))'", at: position)
                case .tooLarge:
                    throw self.error(
                        "size '\(Self.shown(value))' is out of range: the largest is \(SearchQuery.largestSize) bytes",
                        at: position)
                }
            }
            if case .larger = field { return .largerThan(size) }
            return .smallerThan(size)
        }
    }

    /// A message id as searched for: without the angle brackets around it, when it has them.
    static func messageID(_ value: String) -> String {
        guard hasAngleBrackets(value) else { return value }
        return String(value.unicodeScalars.dropFirst().dropLast())
    }

    /// Whether `messageID(_:)` takes brackets off `value`.
    static func hasAngleBrackets(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        return scalars.first == "<" && scalars.last == ">" && scalars.count > 2
    }

    /// `text` for an error message, cut short: a reason should not repeat a long query back.
    private static func shown(_ text: String) -> String {
        text.count <= 40 ? text : text.prefix(40) + "…"
    }

    /// Days are in the Gregorian calendar (Julian before October 1582, like Foundation's), in UTC.
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    /// Why a text is not a day.
    enum DayProblem: Error {
        /// Not four, two and two ASCII digits joined by `-`.
        case malformed
        /// A year 0000, a month or day out of range, or a day its month does not have.
        case noSuchDay
    }

    /// `YYYY-MM-DD` as midnight UTC, from 0001-01-01 to 9999-12-31.
    static func day(_ text: String) throws(DayProblem) -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { throw .malformed }
        // Year 0 would be 1 BC, which Foundation numbers as year 1 of the era before.
        guard year >= 1, (1...12).contains(month), (1...31).contains(day),
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day
        else { throw .noSuchDay }
        return date
    }

    /// ``day(_:)``, or `nil`.
    static func parseDay(_ text: String) -> Date? {
        try? day(text)
    }

    /// Why a text is not a size.
    enum SizeProblem: Error {
        /// Not digits with an optional unit.
        case malformed
        /// More than ``SearchQuery/largestSize`` bytes.
        case tooLarge
    }

    /// A byte count with an optional `b`, `k`, `m` or `g` suffix (1024-based; `kb`, `mb`, `gb` too),
    /// computed with checked arithmetic: no input may trap.
    static func size(_ text: String) throws(SizeProblem) -> Int {
        let lowered = text.lowercased()
        let digits = lowered.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty else { throw .malformed }
        var unit = lowered.dropFirst(digits.count)
        if unit.hasSuffix("b") && unit.count > 1 { unit = unit.dropLast() }
        let multiplier: Int
        switch unit {
        case "", "b": multiplier = 1
        case "k": multiplier = 1 << 10
        case "m": multiplier = 1 << 20
        case "g": multiplier = 1 << 30
        default: throw .malformed
        }
        var number = 0
        for digit in digits {
            guard let value = digit.wholeNumberValue else { throw .malformed }
            let (tens, tensOverflow) = number.multipliedReportingOverflow(by: 10)
            let (sum, sumOverflow) = tens.addingReportingOverflow(value)
            guard !tensOverflow, !sumOverflow else { throw .tooLarge }
            number = sum
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bytes <= SearchQuery.largestSize else { throw .tooLarge }
        return bytes
    }
}
