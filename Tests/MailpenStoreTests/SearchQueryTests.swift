import Foundation
import Testing

@testable import MailpenStore

@Suite("Search grammar: parsing")
struct SearchQueryParsingTests {
    static func day(_ text: String) -> Date { SearchQueryParser.parseDay(text)! }

    static let valid: [(String, [SearchTerm])] = [
        ("", []),
        ("   ", []),
        ("reset", [SearchTerm(.text("reset", isPhrase: false))]),
        ("Reset PASSWORD", [SearchTerm(.text("reset", isPhrase: false)), SearchTerm(.text("password", isPhrase: false))]),
        ("\"password reset\"", [SearchTerm(.text("password reset", isPhrase: true))]),
        ("\"say \\\"hi\\\"\"", [SearchTerm(.text("say \"hi\"", isPhrase: true))]),
        ("-spam", [SearchTerm(.text("spam", isPhrase: false), negated: true)]),
        ("!spam", [SearchTerm(.text("spam", isPhrase: false), negated: true)]),
        ("-\"not this\"", [SearchTerm(.text("not this", isPhrase: true), negated: true)]),
        ("from:Alice", [SearchTerm(.address(.from, "alice"))]),
        ("FROM:alice@example.com", [SearchTerm(.address(.from, "alice@example.com"))]),
        ("to:bob cc:carol bcc:dave", [
            SearchTerm(.address(.to, "bob")), SearchTerm(.address(.cc, "carol")), SearchTerm(.address(.bcc, "dave")),
        ]),
        ("reply-to:help addressed:eve rcpt:frank", [
            SearchTerm(.address(.replyTo, "help")), SearchTerm(.address(.addressed, "eve")),
            SearchTerm(.address(.recipient, "frank")),
        ]),
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
        ("larger:10k smaller:2M larger:500 smaller:1kb", [
            SearchTerm(.largerThan(10240)), SearchTerm(.smallerThan(2 * 1024 * 1024)), SearchTerm(.largerThan(500)),
            SearchTerm(.smallerThan(1024)),
        ]),
        ("https://example.com/reset", [SearchTerm(.text("https://example.com/reset", isPhrase: false))]),
        ("10:30", [SearchTerm(.text("10:30", isPhrase: false))]),
        ("ÜBER Straße", [SearchTerm(.text("über", isPhrase: false)), SearchTerm(.text("straße", isPhrase: false))]),
        ("ΣΟΦΙΑ", [SearchTerm(.text("σοφια", isPhrase: false))]),
        ("a\u{0}b\tc\u{7F}", [
            SearchTerm(.text("a", isPhrase: false)), SearchTerm(.text("b", isPhrase: false)),
            SearchTerm(.text("c", isPhrase: false)),
        ]),
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

@Suite("Search grammar: matching")
struct SearchMatchingTests {
    /// Three messages with distinct fields; each query must select exactly the expected ones.
    static let messages: [(key: String, raw: String, rcpt: String)] = [
        ("welcome", """
            From: Alice Example <alice@example.com>\r
            To: Bob <bob@example.com>\r
            Cc: Carol <carol@example.org>\r
            Reply-To: help@example.com\r
            Subject: Welcome to Straße Shop\r
            Message-ID: <welcome-1@shop.example>\r
            X-Campaign: spring sale\r
            \r
            Please confirm your account. Grüße!\r

            """, "bob@example.com"),
        ("reset", """
            From: Security <security@example.net>\r
            To: Dave <dave@example.com>\r
            Subject: Password reset\r
            Message-ID: <reset-2@example.net>\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --b\r
            Content-Type: text/html; charset=utf-8\r
            \r
            <p>Use this <b>token</b> to reset: <a href="https://example.net/r">reset now</a></p>\r
            --b\r
            Content-Type: application/pdf; name="help.pdf"\r
            Content-Disposition: attachment; filename="help.pdf"\r
            Content-Transfer-Encoding: base64\r
            \r
            SGVsbG8gd29ybGQ=\r
            --b--\r

            """, "dave@example.com"),
        ("invoice", """
            From: Billing <billing@example.com>\r
            To: Eve <eve@example.org>\r
            Bcc: audit@example.com\r
            Subject: Invoice 42 =?UTF-8?B?4oKs?=\r
            \r
            Total: 100 EUR. Pay with token XYZ.\r

            """, "eve@example.org"),
    ]

    static let cases: [(String, Set<String>)] = [
        ("", ["welcome", "reset", "invoice"]),
        ("token", ["reset", "invoice"]),
        ("TOKEN", ["reset", "invoice"]),
        ("tok", ["reset", "invoice"]),
        ("\"reset now\"", ["reset"]),
        ("\"now reset\"", []),
        ("-token", ["welcome"]),
        ("!token", ["welcome"]),
        ("token -invoice", ["reset"]),
        ("grüße", ["welcome"]),
        ("GRÜSSE", []),
        ("straße", ["welcome"]),
        ("€", ["invoice"]),
        ("from:alice", ["welcome"]),
        ("from:ALICE@EXAMPLE", ["welcome"]),
        ("from:\"Alice Example\"", ["welcome"]),
        ("from:example.com", ["welcome", "invoice"]),
        ("-from:example.com", ["reset"]),
        ("to:bob", ["welcome"]),
        ("cc:carol", ["welcome"]),
        ("bcc:audit", ["invoice"]),
        ("reply-to:help", ["welcome"]),
        ("addressed:carol", ["welcome"]),
        ("addressed:audit", ["invoice"]),
        ("rcpt:dave", ["reset"]),
        ("rcpt:example.org", ["invoice"]),
        ("subject:reset", ["reset"]),
        ("subject:\"invoice 42\"", ["invoice"]),
        ("subject:straße", ["welcome"]),
        ("message-id:<welcome-1@shop.example>", ["welcome"]),
        ("message-id:reset-2", ["reset"]),
        ("header:x-campaign", ["welcome"]),
        ("header:X-Campaign=spring", ["welcome"]),
        ("header:X-Campaign=autumn", []),
        ("-header:x-campaign", ["reset", "invoice"]),
        ("has:attachment", ["reset"]),
        ("-has:attachment", ["welcome", "invoice"]),
        ("is:unread", ["welcome", "reset", "invoice"]),
        ("is:read", []),
        ("larger:400", ["reset"]),
        ("smaller:400", ["welcome", "invoice"]),
        ("larger:1k", []),
        ("after:2000-01-01", ["welcome", "reset", "invoice"]),
        ("before:2000-01-01", []),
        ("https://example.net/r", ["reset"]),
        ("from:a", ["welcome", "reset", "invoice"]),
        ("subject:42 -from:billing", []),
    ]

    /// Run on every backend: they must give the same answers.
    @Test("each operator selects the right messages", arguments: cases, StoreBackend.available)
    func matches(_ testCase: (String, Set<String>), backend: StoreBackend) async throws {
        let (query, expected) = testCase
        try await withStore(on: backend) { store in
            var keys: [String: String] = [:]
            let summaries = try await storeSearchable(
                Self.messages.map { incoming($0.raw, to: [$0.rcpt]) }, in: store)
            for (summary, message) in zip(summaries, Self.messages) { keys[summary.id] = message.key }
            let page = try await store.messages(MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)))
            #expect(Set(page.messages.compactMap { keys[$0.id] }) == expected, "query: \(query)")
            #expect(page.total == expected.count)
        }
    }
}

@Suite("Search: totals of large result sets")
struct SearchTotalTests {
    struct Sample {
        var index: Int
        var inbox: String
        var words: Set<String>
        var sender: String
        var isRead = false
        var isDeleted = false
    }

    /// 90 messages over two inboxes; some read, some deleted (after indexing, so the index still has them).
    static func samples() -> [Sample] {
        (0..<90).map { index in
            var words: Set<String> = ["alpha"]
            if index % 2 == 0 { words.insert("beta") }
            if index % 5 == 0 { words.insert("gamma") }
            if [7, 9, 10, 12].contains(index) { words.insert("rare") }  // in both inboxes: few, so looked up one by one
            var sample = Sample(
                index: index, inbox: index % 3 == 0 ? "other" : "default", words: words,
                sender: index % 4 == 0 ? "bob" : "alice")
            sample.isRead = index % 7 == 0
            sample.isDeleted = index % 11 == 0
            return sample
        }
    }

    static let queries: [(String, @Sendable (Sample) -> Bool)] = [
        ("alpha", { $0.words.contains("alpha") }),
        ("beta", { $0.words.contains("beta") }),
        ("alpha beta", { $0.words.contains("beta") }),
        ("beta -gamma", { $0.words.contains("beta") && !$0.words.contains("gamma") }),
        ("alpha -from:bob", { $0.sender != "bob" }),
        ("from:bob beta", { $0.sender == "bob" && $0.words.contains("beta") }),
        ("from:alice -beta -gamma", { $0.sender == "alice" && !$0.words.contains("beta") && !$0.words.contains("gamma") }),
        ("rare", { $0.words.contains("rare") }),
        ("\"alpha beta\"", { $0.words.contains("beta") }),
        ("alpha is:read", { $0.isRead }),
    ]

    /// The total and unread count of a query whose first page is smaller than its result: computed by
    /// counting, through index row sets or the join, which must agree with the messages themselves.
    @Test("totals and unread counts", arguments: queries.indices, StoreBackend.available)
    func totals(caseIndex: Int, backend: StoreBackend) async throws {
        let (query, predicate) = Self.queries[caseIndex]
        try await withStore(on: backend) { store in
            let samples = Self.samples()
            var ids: [Int: String] = [:]
            let messages = samples.map { sample in
                let body = sample.words.sorted().joined(separator: " ")
                let raw = "From: \(sample.sender)@example.com\r\nSubject: Note \(sample.index)\r\n\r\n\(body)\r\n"
                return incoming(raw, inbox: sample.inbox, create: true)
            }
            for (sample, summary) in zip(samples, try await storeSearchable(messages, in: store)) {
                ids[sample.index] = summary.id
            }
            for sample in samples {
                guard let id = ids[sample.index] else { continue }
                if sample.isDeleted {
                    try await store.deleteMessage(id: id)
                } else if sample.isRead {
                    _ = try await store.setRead(id: id, true)
                }
            }
            for inbox in ["default", "other"] {
                let expected = samples.filter { $0.inbox == inbox && !$0.isDeleted && predicate($0) }
                let search = try SearchQuery(parsing: query)
                let page = try await store.messages(MessageQuery(inbox: inbox, search: search), limit: 1)
                #expect(page.total == expected.count, "query \(query) in \(inbox)")
                #expect(page.unread == expected.filter { !$0.isRead }.count, "query \(query) in \(inbox)")
                // Pages, newest first, walk the same matches.
                let newestFirst = expected.reversed().compactMap { ids[$0.index] }
                for offset in [0, 3, max(0, newestFirst.count - 2)] {
                    let page = try await store.messages(MessageQuery(inbox: inbox, search: search), limit: 4, offset: offset)
                    let wanted = Array(newestFirst.dropFirst(offset).prefix(4))
                    #expect(page.messages.map(\.id) == wanted, "query \(query) in \(inbox) at \(offset)")
                }
            }
        }
    }
}
