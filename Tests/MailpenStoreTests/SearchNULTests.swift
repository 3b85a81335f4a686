import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search: text after a NUL byte", .postgresTimeLimit)
struct SearchNULTests {
    /// Both databases end bound text at a NUL: a body, a subject or a header value with one in it must stay
    /// searchable past it, on either backend.
    @Test("words, fields and header values after a NUL are found", arguments: StoreBackend.available)
    func afterNUL(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let raw =
                "Subject: =?utf-8?q?lefthand=00righthand?=\r\nX-Note: first\u{0}second\r\n"
                + "From: =?utf-8?q?Ann=00Zed?= <ann@example.com>\r\n\r\nalpha\u{0}omega\r\n"
            let stored = try await storeSearchable([incoming(raw)], in: store)
            for text in [
                "alpha", "omega", "lefthand", "righthand", "subject:righthand", "header:X-Note=second", "from:zed",
            ] {
                let page = try await store.messages(
                    MessageQuery(inbox: "default", search: try SearchQuery(parsing: text)), limit: 10)
                #expect(page.messages.map(\.id) == stored.map(\.id), "query \(text)")
            }
        }
    }
}
