import Foundation
import Testing

@testable import MailpenStore

/// Expects `text` to fail at `position` with a reason containing `reason`.
private func expectError(
    _ text: String, at position: Int, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let query = try SearchQuery(parsing: text)
        Issue.record("expected an error, got \(query.terms)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.position == position, "\(error)", sourceLocation: sourceLocation)
        #expect(error.reason.contains(reason), "\(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Search grammar: limits")
struct SearchLimitTests {
    @Test("the size that used to overflow is a syntax error at its value")
    func overflowingSize() {
        expectError("larger:999999999999g", at: 8, "out of range")
        expectError("from:alice smaller:999999999999g", at: 20, "out of range")
    }

    @Test("the largest size is the largest integer SQLite stores")
    func largestSize() {
        #expect(SearchQuery.largestSize == Int(Int64.max))
    }

    /// The largest count in each unit, its size in bytes, and the count one past it.
    static let sizeEdges: [(largest: String, bytes: Int, pastLargest: String)] = [
        ("9223372036854775807", 9_223_372_036_854_775_807, "9223372036854775808"),
        ("9223372036854775807b", 9_223_372_036_854_775_807, "9223372036854775808b"),
        ("9007199254740991k", 9_223_372_036_854_774_784, "9007199254740992k"),
        ("9007199254740991KB", 9_223_372_036_854_774_784, "9007199254740992KB"),
        ("8796093022207m", 9_223_372_036_853_727_232, "8796093022208m"),
        ("8796093022207mb", 9_223_372_036_853_727_232, "8796093022208mb"),
        ("8589934591g", 9_223_372_035_781_033_984, "8589934592g"),
        ("8589934591Gb", 9_223_372_035_781_033_984, "8589934592Gb"),
    ]

    @Test("the largest size in each unit parses; one more is out of range", arguments: sizeEdges)
    func sizeEdge(largest: String, bytes: Int, pastLargest: String) throws {
        #expect(try SearchQuery(parsing: "larger:\(largest)").terms == [SearchTerm(.largerThan(bytes))])
        #expect(
            try SearchQuery(parsing: "-smaller:\(largest)").terms == [SearchTerm(.smallerThan(bytes), negated: true)])
        expectError("larger:\(pastLargest)", at: 8, "out of range")
        expectError("is:read smaller:\(pastLargest)", at: 17, "out of range")
    }

    @Test("digits beyond any integer are out of range, not a crash; leading zeros are only zeros")
    func longNumbers() throws {
        expectError("larger:" + String(repeating: "9", count: 40), at: 8, "out of range")
        expectError("larger:" + String(repeating: "9", count: 40) + "k", at: 8, "out of range")
        let zeros = String(repeating: "0", count: 40)
        #expect(try SearchQuery(parsing: "larger:\(zeros)1k").terms == [SearchTerm(.largerThan(1024))])
        #expect(try SearchQuery(parsing: "smaller:0").terms == [SearchTerm(.smallerThan(0))])
        // A bad unit is a bad unit, however large the number.
        expectError("larger:" + String(repeating: "9", count: 40) + "x", at: 8, "sizes are written like")
    }

    /// `count` distinct words.
    static func words(_ count: Int) -> [String] {
        (0..<count).map { "w\($0)" }
    }

    @Test("a word or phrase has at most 32 words, counted as the index splits them")
    func wordsPerTermLimit() throws {
        #expect(SearchQuery.maximumWordsPerTerm == 32)
        let thirtyTwo = Self.words(32).joined(separator: " ")
        #expect(try SearchQuery(parsing: "\"\(thirtyTwo)\"").terms.count == 1)
        #expect(try SearchQuery(parsing: Self.words(32).joined(separator: ".")).terms.count == 1)
        let thirtyThree = Self.words(33)
        expectError("\"\(thirtyThree.joined(separator: " "))\"", at: 1, "at most 32 words, not 33")
        // Punctuation splits a bare word into as many words.
        expectError("from:x " + thirtyThree.joined(separator: "."), at: 8, "at most 32 words, not 33")
        expectError("is:read -\"\(thirtyThree.joined(separator: " "))\"", at: 9, "at most 32 words")
        // And at most 64 in all: a third phrase of 32 words is one too many, wherever it starts.
        let phrase = "\"\(Self.words(32).joined(separator: " "))\""
        #expect(try SearchQuery(parsing: "\(phrase) -\(phrase)").wordCount == 64)
        expectError("\(phrase) \(phrase) x", at: 2 * phrase.count + 3, "at most 64 words in its words and phrases")
    }

    @Test("a search has at most 64 terms")
    func termLimit() throws {
        #expect(SearchQuery.maximumTerms == 64)
        let sixtyFour = Self.words(64)
        #expect(try SearchQuery(parsing: sixtyFour.joined(separator: " ")).terms.count == 64)
        // The 65th term fails where it starts, whatever it is.
        let prefix = sixtyFour.joined(separator: " ") + "  "
        let start = prefix.count + 1
        expectError(prefix + "w64", at: start, "at most 64 terms")
        expectError(prefix + "-from:x", at: start, "at most 64 terms")
        expectError(prefix + "\"a phrase\" more", at: start, "at most 64 terms")
        // Spaces alone are no terms.
        #expect(try SearchQuery(parsing: prefix + "   ").terms.count == 64)
    }

    @Test("dates from 0001-01-01 to 9999-12-31; anything else is an error at the value")
    func dateRange() throws {
        #expect(try SearchQuery(parsing: "after:0001-01-01 before:9999-12-31").terms.count == 2)
        expectError("before:9999-99-99", at: 8, "not a day from 0001-01-01 to 9999-12-31")
        expectError("before:0000-01-01", at: 8, "not a day")
        expectError("after:2023-02-29", at: 7, "not a day")
        expectError("after:2026-13-01", at: 7, "not a day")
        expectError("after:2026-00-10", at: 7, "not a day")
        expectError("after:10000-01-01", at: 7, "dates are written YYYY-MM-DD")
        expectError("after:+999-01-01", at: 7, "dates are written YYYY-MM-DD")
        expectError("after:２０２６-01-01", at: 7, "dates are written YYYY-MM-DD")
        #expect(try SearchQuery(parsing: "after:2024-02-29").terms.count == 1)
    }

    @Test("positions count characters, even where a combining mark joins the next scalar to one")
    func positionsCountCharacters() {
        // "e" + U+0301 is one character: the quote after the space is the third.
        expectError("e\u{301} \"open", at: 3, "unterminated quote")
        // A quote and a combining mark are one character, which still opens a quote.
        expectError("\"\u{301}x", at: 1, "unterminated quote")
        expectError("x \u{1F469}\u{200D}\u{1F469} larger:9999999999999g", at: 12, "out of range")
    }

    @Test(
        "hostile text parses or fails cleanly",
        arguments: [
            ("\"", 1, "unterminated quote"),
            ("abc \"", 5, "unterminated quote"),
            ("\"abc\\", 1, "unterminated quote"),
            ("\"abc\\\"", 1, "unterminated quote"),
            ("-", 1, "must be followed by a term"),
            ("!\u{0}", 1, "must be followed by a term"),
            ("from:\u{0}", 6, "'from:' needs a value"),
        ])
    func hostile(text: String, position: Int, reason: String) {
        expectError(text, at: position, reason)
    }

    @Test("backslashes, NULs and combining marks where the grammar has structure")
    func oddCharacters() throws {
        #expect(try SearchQuery(parsing: "abc\\").terms == [SearchTerm(.text("abc\\", isPhrase: false))])
        #expect(try SearchQuery(parsing: "a\u{0}b").terms.count == 2)
        // A combining mark does not hide the negation, quote or colon before it.
        let negated = SearchTerm(.text("\u{301}abc", isPhrase: false), negated: true)
        #expect(try SearchQuery(parsing: "-\u{301}abc").terms == [negated])
        #expect(try SearchQuery(parsing: "\"\u{301}x\"").terms == [SearchTerm(.text("\u{301}x", isPhrase: true))])
        #expect(try SearchQuery(parsing: "from:\u{301}x").terms == [SearchTerm(.address(.from, "\u{301}x"))])
        // Nor does it join the space before it to the next term.
        #expect(
            try SearchQuery(parsing: "a \u{301}b").terms == [
                SearchTerm(.text("a", isPhrase: false)), SearchTerm(.text("\u{301}b", isPhrase: false)),
            ])
    }

    @Test("dates beyond any range compile to the ends of Int64 instead of trapping")
    func extremeDates() {
        #expect(SearchSQL.milliseconds(Date(timeIntervalSince1970: 1e300)) == .max)
        #expect(SearchSQL.milliseconds(Date(timeIntervalSince1970: -1e300)) == .min)
        #expect(SearchSQL.milliseconds(Date(timeIntervalSince1970: .nan)) == 0)
        #expect(SearchSQL.milliseconds(Date(timeIntervalSince1970: 1.5)) == 1500)
        let search = SearchSQL(SearchQuery(terms: [SearchTerm(.receivedBefore(Date(timeIntervalSince1970: 1e300)))]))
        #expect(search.conditions == ["m.received_at < ?"])
    }

    @Test("very long text parses, and errors do not repeat it back")
    func longText() throws {
        let word = String(repeating: "x", count: 100_000)
        #expect(try SearchQuery(parsing: word).terms == [SearchTerm(.text(word, isPhrase: false))])
        do {
            _ = try SearchQuery(parsing: "is:" + word)
            Issue.record("expected an error")
        } catch {
            #expect(error.position == 4)
            #expect(error.reason.count < 100)
        }
    }
}
