import Foundation
import Testing

@testable import MailpenStore

@Suite("Search grammar: printing")
struct SearchQueryTextTests {
    /// Text as typed, and the canonical text of what it parses to.
    static let canonical: [(String, String)] = [
        ("", ""),
        ("  Reset   PASSWORD ", "reset password"),
        ("\"Password Reset\"", "\"password reset\""),
        ("\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""),
        ("\"back\\\\slash\"", "\"back\\\\slash\""),
        ("!spam", "-spam"),
        ("-\"not this\"", "-\"not this\""),
        ("--x -!y", "--x -!y"),
        ("FROM:Alice", "from:alice"),
        ("to:bob cc:carol bcc:dave", "to:bob cc:carol bcc:dave"),
        ("Reply-To:help addressed:eve rcpt:frank", "reply-to:help addressed:eve rcpt:frank"),
        ("from:\"Alice Example\"", "from:\"alice example\""),
        ("subject:\"Your \\\"Order\\\"\"", "subject:\"your \\\"order\\\"\""),
        ("-subject:newsletter", "-subject:newsletter"),
        ("message-id:<abc@x>", "message-id:abc@x"),
        ("message-id:<<abc@x>>", "message-id:<<abc@x>>"),
        ("message-id:<>", "message-id:<>"),
        ("tag:Signup", "tag:signup"),
        ("header:X-Campaign", "header:x-campaign"),
        ("header:X-Campaign=", "header:x-campaign"),
        ("header:X-Campaign=Spring", "header:x-campaign=spring"),
        ("header:X-Campaign=\"spring sale\"", "header:x-campaign=\"spring sale\""),
        ("header:\"X Campaign=spring\"", "header:\"x campaign=spring\""),
        ("header:a=b=c", "header:a=b=c"),
        ("is:READ is:unread", "is:read is:unread"),
        ("has:attachments", "has:attachment"),
        ("before:2026-11-29 after:0001-01-01", "before:2026-11-29 after:0001-01-01"),
        ("larger:10k smaller:2M larger:500b smaller:1g", "larger:10240 smaller:2097152 larger:500 smaller:1073741824"),
        ("larger:8589934591g", "larger:9223372035781033984"),
        ("https://example.com/reset", "https://example.com/reset"),
        ("10:30 :x", "10:30 :x"),
        ("abc\\", "abc\\"),
        // A word with a quoted part keeps its first character outside the quotes (a quote there would
        // make a phrase), as does a word that would read as a field.
        ("a\"b c\"d", "a\"b cd\""),
        ("f\"rom\":x", "f\"rom:x\""),
        ("i\"s:maybe\"", "i\"s:maybe\""),
        ("a\u{0}b", "a b"),
    ]

    @Test("canonical text", arguments: canonical)
    func canonicalText(text: String, expected: String) throws {
        let query = try SearchQuery(parsing: text)
        #expect(query.text == expected)
        #expect(query.description == expected)
        #expect(try SearchQuery(parsing: query.text) == query)
    }

    @Test("every query of the parsing tests prints back to itself", arguments: SearchQueryParsingTests.valid.map(\.0))
    func parsingTestsRoundTrip(text: String) throws {
        let query = try SearchQuery(parsing: text)
        #expect(try SearchQuery(parsing: query.text) == query, "\(text) printed as \(query.text)")
    }

    /// Values with everything the grammar gives a meaning to, case-folded as the parser leaves them.
    static let trickyValues = [
        "plain", "two words", "tab\u{A0}nbsp", "quote\"inside", "\"", "\"\"", "back\\slash", "\\", "ends\\",
        "colon:inside", ":", "from:alice", "is:read", "-dash", "!bang", "equals=sign", "=", "<angle>", "<<x>>", "<",
        "\u{301}combining first", "last combining e\u{301}", "\u{600}prepend", "prepend\u{600}",
        "👩‍👩‍👧", "🇺🇸🇫",
        "straße", "über", "σοφια", "i\u{307}stanbul",
        String(repeating: "long ", count: SearchQuery.maximumWordsPerTerm),
    ]

    /// One term of every kind holding `value`, as the parser could return it.
    static func terms(holding value: String) -> [SearchTerm] {
        var conditions: [SearchCondition] = [
            .text(value, isPhrase: true), .subject(value), .messageID(value), .tag(value),
        ]
        conditions += SearchCondition.AddressField.allCases.map { .address($0, value) }
        conditions.append(.header(name: "x-campaign", value: value))
        if !value.unicodeScalars.contains("=") {
            conditions.append(.header(name: value, value: nil))
            conditions.append(.header(name: value, value: "spring sale"))
        }
        var terms = conditions.flatMap { [SearchTerm($0), SearchTerm($0, negated: true)] }
        // No word starts with a quote (that is a phrase), and only a negated one with a dash or bang.
        let first = value.unicodeScalars.first
        if first != "\"" {
            terms.append(SearchTerm(.text(value, isPhrase: false), negated: true))
            if first != "-" && first != "!" { terms.append(SearchTerm(.text(value, isPhrase: false))) }
        }
        return terms
    }

    @Test("tricky values in every kind of term print back to themselves", arguments: trickyValues)
    func trickyRoundTrip(value: String) throws {
        for term in Self.terms(holding: value) {
            let query = SearchQuery(terms: [
                SearchTerm(.text("before", isPhrase: false)), term, SearchTerm(.isRead(true)),
            ])
            #expect(try SearchQuery(parsing: query.text) == query, "\(term) printed as \(query.text)")
        }
    }

    @Test("flags, sizes and dates print back to themselves")
    func valuesRoundTrip() throws {
        let days = ["0001-01-01", "1500-02-29", "1582-10-04", "1582-10-15", "1970-01-01", "2024-02-29", "9999-12-31"]
        var terms: [SearchTerm] = [SearchTerm(.isRead(true)), SearchTerm(.isRead(false)), SearchTerm(.hasAttachment)]
        for day in days {
            let date = try #require(SearchQueryParser.parseDay(day))
            terms += [SearchTerm(.receivedBefore(date)), SearchTerm(.receivedOnOrAfter(date), negated: true)]
            #expect(SearchText.day(date) == day)
        }
        for size in [0, 1, 1023, 1024, 1 << 30, SearchQuery.largestSize] {
            terms += [SearchTerm(.largerThan(size)), SearchTerm(.smallerThan(size), negated: true)]
        }
        for term in terms {
            let query = SearchQuery(terms: [term])
            #expect(try SearchQuery(parsing: query.text) == query, "\(term) printed as \(query.text)")
        }
    }
}
