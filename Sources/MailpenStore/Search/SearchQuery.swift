import Foundation

/// A parsed search (Mailpit-compatible): space-separated terms that must all match.
///
/// Parsing is separate from running so that the grammar can be tested on its own and a syntax error can
/// point at the character where it happened. ``text`` prints a parsed query back in the grammar.
public struct SearchQuery: Sendable, Hashable {
    public var terms: [SearchTerm]

    public init(terms: [SearchTerm]) {
        self.terms = terms
    }

    /// The query that matches everything.
    public static let all = SearchQuery(terms: [])

    /// The most terms one search may have: each becomes a condition (and often a subquery) of its SQL.
    public static let maximumTerms = 64

    /// The most words one word or phrase term may have, as the index splits them (`a.b.c` is three): the
    /// full-text index looks each word of a phrase up in every message that has it, so a phrase of
    /// thousands of common words would cost seconds of CPU.
    public static let maximumWordsPerTerm = 32

    /// The most words all the word and phrase terms of one search may have together, for the same reason:
    /// 64 terms of 32 words each would cost seconds again.
    public static let maximumWords = 64

    /// How many words the word and phrase terms have together, as the index splits them.
    public var wordCount: Int {
        terms.reduce(0) { count, term in
            guard case .text(let text, _) = term.condition else { return count }
            return count + Self.wordCount(of: text)
        }
    }

    /// How many words the index splits `text` into (`a.b.c` is three).
    static func wordCount(of text: String) -> Int {
        var words = 0
        Unicode61Tokenizer.forEachToken(in: text) { _ in words += 1 }
        return words
    }

    /// The largest size `larger:` and `smaller:` accept, in bytes: the largest integer SQLite stores, so
    /// that every size that parses compares exactly against the `size` column.
    public static let largestSize = Int(Int64.max)

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
    /// The 1-based character position of the problem (one past the last character for a problem at the end).
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
