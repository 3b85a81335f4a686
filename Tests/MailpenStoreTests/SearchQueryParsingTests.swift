import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search grammar: parsing")
struct SearchQueryParsingTests {
    static func day(_ text: String) -> Date { SearchQueryParser.parseDay(text)! }

    static let valid: [(String, [SearchTerm])] = [
        ("", []),
        ("   ", []),
        ("reset", [SearchTerm(.text("reset", isPhrase: false))]),
        (
            "Reset PASSWORD",
            [SearchTerm(.text("reset", isPhrase: false)), SearchTerm(.text("password", isPhrase: false))]
        ),
        ("\"password reset\"", [SearchTerm(.text("password reset", isPhrase: true))]),
        ("\"say \\\"hi\\\"\"", [SearchTerm(.text("say \"hi\"", isPhrase: true))]),
        ("-spam", [SearchTerm(.text("spam", isPhrase: false), negated: true)]),
        ("!spam", [SearchTerm(.text("spam", isPhrase: false), negated: true)]),
        ("-\"not this\"", [SearchTerm(.text("not this", isPhrase: true), negated: true)]),
        ("from:Alice", [SearchTerm(.address(.from, "alice"))]),
        ("FROM:alice@example.com", [SearchTerm(.address(.from, "alice@example.com"))]),
        (
            "to:bob cc:carol bcc:dave",
            [
                SearchTerm(.address(.to, "bob")), SearchTerm(.address(.cc, "carol")),
                SearchTerm(.address(.bcc, "dave")),
            ]
        ),
        (
            "reply-to:help addressed:eve rcpt:frank",
            [
                SearchTerm(.address(.replyTo, "help")), SearchTerm(.address(.addressed, "eve")),
                SearchTerm(.address(.recipient, "frank")),
            ]
        ),
        ("subject:\"Your Order\"", [SearchTerm(.subject("your order"))]),
        ("-subject:newsletter", [SearchTerm(.subject("newsletter"), negated: true)]),
        ("message-id:<abc@x>", [SearchTerm(.messageID("abc@x"))]),
        ("tag:Signup", [SearchTerm(.tag("signup"))]),
        ("header:X-Campaign", [SearchTerm(.header(name: "x-campaign", value: nil))]),
        ("header:X-Campaign=Spring", [SearchTerm(.header(name: "x-campaign", value: "spring"))]),
        ("header:X-Campaign=\"spring sale\"", [SearchTerm(.header(name: "x-campaign", value: "spring sale"))]),
        ("is:read is:UNREAD", [SearchTerm(.isRead(true)), SearchTerm(.isRead(false))]),
        ("has:attachment has:attachments", [SearchTerm(.hasAttachment), SearchTerm(.hasAttachment)]),
        ("before:2026-11-29", [SearchTerm(.receivedBefore(day("2026-11-29")))]),
        ("after:2026-01-31", [SearchTerm(.receivedOnOrAfter(day("2026-01-31")))]),
        (
            "larger:10k smaller:2M larger:500 smaller:1kb",
            [
                SearchTerm(.largerThan(10240)), SearchTerm(.smallerThan(2 * 1024 * 1024)), SearchTerm(.largerThan(500)),
                SearchTerm(.smallerThan(1024)),
            ]
        ),
        ("https://example.com/reset", [SearchTerm(.text("https://example.com/reset", isPhrase: false))]),
        ("10:30", [SearchTerm(.text("10:30", isPhrase: false))]),
        ("ÜBER Straße", [SearchTerm(.text("über", isPhrase: false)), SearchTerm(.text("straße", isPhrase: false))]),
        ("ΣΟΦΙΑ", [SearchTerm(.text("σοφια", isPhrase: false))]),
        (
            "a\u{0}b\tc\u{7F}",
            [
                SearchTerm(.text("a", isPhrase: false)), SearchTerm(.text("b", isPhrase: false)),
                SearchTerm(.text("c", isPhrase: false)),
            ]
        ),
    ]

    @Test("valid queries", arguments: valid)
    func parses(text: String, expected: [SearchTerm]) throws {
        #expect(try SearchQuery(parsing: text).terms == expected)
    }

    static let invalid: [(String, Int, String)] = [
        ("\"open", 1, "unterminated quote"),
        ("subject:\"open", 9, "unterminated quote"),
        ("from:", 6, "'from:' needs a value"),
        ("ok -", 4, "must be followed by a term"),
        ("is:maybe", 4, "is: takes 'read' or 'unread'"),
        ("has:pictures", 5, "has: takes 'attachment'"),
        ("before:2026-02-30", 8, "dates are written YYYY-MM-DD"),
        ("after:yesterday", 7, "dates are written YYYY-MM-DD"),
        ("larger:big", 8, "sizes are written like"),
        ("smaller:10x", 9, "sizes are written like"),
        ("header:=x", 8, "header: needs a name"),
        ("\"\"", 1, "empty quoted phrase"),
    ]

    @Test("syntax errors say where", arguments: invalid)
    func rejects(text: String, position: Int, reason: String) {
        do {
            _ = try SearchQuery(parsing: text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.position == position, "\(text): \(error)")
            #expect(error.reason.contains(reason), "\(text): \(error)")
            #expect(error.description.hasPrefix("search syntax error at character \(position)"))
        }
    }
}
