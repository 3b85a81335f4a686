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

    @Test("short GLOB tests with non-ASCII patterns", arguments: cases)
    func shortNonASCIIFields(query: String, expected: Set<String>) async throws {
        try await withStore { store, _ in
            var keys: [String: String] = [:]
            let events = await store.indexed.subscribe()
            for message in Self.messages {
                let summary = try await store.store(incoming(message.raw, to: ["ann@example.com"]))
                keys[summary.id] = message.key
            }
            var searchable = 0
            for try await event in events {
                searchable += event.ids.count
                if searchable == Self.messages.count { break }
            }
            let page = try await store.messages(MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)))
            #expect(Set(page.messages.compactMap { keys[$0.id] }) == expected, "query: \(query)")
        }
    }

    @Test("GLOB tests stay out of FTS5")
    func globConditionsAreNotVirtualTableConstraints() throws {
        let search = SearchSQL(try SearchQuery(parsing: "subject:ab from:éé"))
        #expect(search.conditions == ["(+f.subject GLOB ?)", "(+f.addr_from GLOB ?)"])
    }
}
