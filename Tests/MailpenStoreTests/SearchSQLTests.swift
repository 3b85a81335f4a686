import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search SQL: what the fuzzer found")
struct SearchSQLTests {
    static let messages: [(key: String, raw: String)] = [
        ("zoe", "From: Zoé Éé <zoe@example.com>\r\nTo: ann@example.com\r\nSubject: Ab test\r\n\r\nHello\r\n"),
        ("bob", "From: bob@example.com\r\nTo: ann@example.com\r\nSubject: Other\r\n\r\nHello\r\n"),
    ]

    /// Two field values too short for the substring index, the second with non-ASCII characters: SQLite 3.40's
    /// FTS5 crashed (a null pointer read in sqlite3_step) when both GLOB tests were handed to it, which took
    /// the server down with one request.
    static let cases: [(String, Set<String>)] = [
        ("subject:ab from:éé", ["zoe"]),
        ("from:éé subject:ab", ["zoe"]),
        ("subject:ab from:a\u{FFFD} to:a*[?", []),
        ("subject:ab from:éé to:ann", ["zoe"]),
        ("-subject:ab -from:éé", ["bob"]),
        ("hello subject:ab from:éé", ["zoe"]),
    ]

    @Test("short GLOB tests with non-ASCII patterns", arguments: cases, StoreBackend.available)
    func shortNonASCIIFields(_ testCase: (String, Set<String>), backend: StoreBackend) async throws {
        let (query, expected) = testCase
        try await withStore(on: backend) { store in
            let summaries = try await storeSearchable(
                Self.messages.map { incoming($0.raw, to: ["ann@example.com"]) }, in: store)
            let keys = Dictionary(uniqueKeysWithValues: zip(summaries.map(\.id), Self.messages.map(\.key)))
            let page = try await store.messages(MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)))
            #expect(Set(page.messages.compactMap { keys[$0.id] }) == expected, "query: \(query)")
        }
    }

    /// SQLite-only: the SQL text built for SQLite's FTS5 tables.
    @Test("GLOB tests stay out of FTS5")
    func globConditionsAreNotVirtualTableConstraints() throws {
        let search = SearchSQL(try SearchQuery(parsing: "subject:ab from:éé"))
        #expect(search.conditions == ["(+f.subject GLOB ?)", "(+f.addr_from GLOB ?)"])
    }

    /// A wildcard followed by a combining mark is one Character but two scalars, as SQLite reads it: the
    /// wildcard must still be escaped, or it matches anything.
    @Test("GLOB wildcards are escaped scalar by scalar")
    func globWildcardsBeforeCombiningMarks() {
        #expect(SearchSQL.globLiteral("*\u{301}") == "[*]\u{301}")
        #expect(SearchSQL.globLiteral("a?\u{301}[\u{308}b") == "a[?]\u{301}[[]\u{308}b")
        #expect(SearchSQL.globLiteral("e\u{301}") == "e\u{301}")
    }
}
