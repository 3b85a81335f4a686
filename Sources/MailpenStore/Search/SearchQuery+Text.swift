import Foundation
import MailpenMIME

/// The canonical text of a query, which ``SearchQuery/init(parsing:)`` reads back as an equal query for
/// every query it returned: values case-folded and quoted only where the grammar needs it, negation as
/// `-`, sizes in bytes, dates as YYYY-MM-DD. (A query built by hand may hold what no text parses to, such
/// as an empty word or a negative size; its text is then best effort.)
extension SearchQuery: CustomStringConvertible {
    public var text: String {
        terms.map(\.text).joined(separator: " ")
    }

    public var description: String { text }
}

extension SearchTerm: CustomStringConvertible {
    /// The term in the grammar, as in `-from:alice` or `"password reset"`.
    public var text: String {
        let sign = isNegated ? "-" : ""
        switch condition {
        case .text(let value, let isPhrase):
            return sign + (isPhrase ? SearchValueQuoting.quoted(value) : SearchText.word(value))
        case .address(let field, let value):
            return sign + field.rawValue + ":" + SearchText.value(value)
        case .subject(let value):
            return sign + "subject:" + SearchText.value(value)
        case .messageID(let value):
            // Brackets around brackets: the parser takes one pair off.
            let written = SearchQueryParser.hasAngleBrackets(value) ? "<" + value + ">" : value
            return sign + "message-id:" + SearchText.value(written)
        case .tag(let value):
            return sign + "tag:" + SearchText.value(value)
        case .header(let name, let value):
            return sign + "header:" + SearchText.header(name: name, value: value)
        case .isRead(let isRead):
            return sign + (isRead ? "is:read" : "is:unread")
        case .hasAttachment:
            return sign + "has:attachment"
        case .receivedBefore(let date):
            return sign + "before:" + SearchText.day(date)
        case .receivedOnOrAfter(let date):
            return sign + "after:" + SearchText.day(date)
        case .largerThan(let size):
            return sign + "larger:\(size)"
        case .smallerThan(let size):
            return sign + "smaller:\(size)"
        }
    }

    public var description: String { text }
}

/// How values are written so that the parser reads them back unchanged.
enum SearchText {
    /// Whether `value` reads as one value unquoted: it has no spaces or quotes (a backslash outside quotes
    /// is just a character).
    static func isPlain(_ value: String) -> Bool {
        !value.isEmpty && !value.unicodeScalars.contains { SearchQueryParser.isSpace($0) || $0 == "\"" }
    }

    /// The value of a field, as in `from:value`: as it is when plain, else quoted.
    static func value(_ value: String) -> String {
        isPlain(value) ? value : SearchValueQuoting.quoted(value)
    }

    /// A bare word. It is quoted when it has spaces or quotes, or reads as a field (`is:read` as a word); its
    /// first character stays outside the quotes, which the parser joins to it, since a quote at the start of
    /// a term makes a phrase.
    static func word(_ value: String) -> String {
        var name = ""
        for scalar in value.unicodeScalars {
            if scalar == ":" { break }
            name.unicodeScalars.append(scalar)
        }
        let readsAsField = name.unicodeScalars.count < value.unicodeScalars.count && SearchQueryParser.isField(name)
        guard let first = value.unicodeScalars.first, !isPlain(value) || readsAsField else { return value }
        return String(first) + SearchValueQuoting.quoted(String(value.unicodeScalars.dropFirst()))
    }

    /// `header:`'s value: the name, then `=` and the value when there is one.
    static func header(name: String, value: String?) -> String {
        guard let value else { return Self.value(name) }
        guard isPlain(name) else { return SearchValueQuoting.quoted(name + "=" + value) }
        return name + "=" + Self.value(value)
    }

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(_ date: Date) -> String {
        let components = SearchQueryParser.calendar.dateComponents([.year, .month, .day], from: date)
        return padded(components.year ?? 0, to: 4) + "-" + padded(components.month ?? 0, to: 2) + "-"
            + padded(components.day ?? 0, to: 2)
    }

    private static func padded(_ number: Int, to width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
