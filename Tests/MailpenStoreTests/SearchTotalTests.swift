import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search: totals of large result sets")
struct SearchTotalTests {
    struct Sample {
        var index: Int
        var inbox: String
        var words: Set<String>
        var sender: String
        var isRead = false
        var isDeleted = false
        var isTagged: Bool { index % 6 == 1 }
        /// The value of an `X-Group` header, which one message in four lacks.
        var group: String? { index % 4 == 3 ? nil : index % 4 == 1 ? "one" : "two" }
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
        (
            "from:alice -beta -gamma",
            { $0.sender == "alice" && !$0.words.contains("beta") && !$0.words.contains("gamma") }
        ),
        ("rare", { $0.words.contains("rare") }),
        ("\"alpha beta\"", { $0.words.contains("beta") }),
        ("alpha is:read", { $0.isRead }),
        ("is:read", { $0.isRead }),
        ("-is:read", { !$0.isRead }),
        ("is:unread beta", { !$0.isRead && $0.words.contains("beta") }),
        ("-beta", { !$0.words.contains("beta") }),
        ("-from:bob", { $0.sender != "bob" }),
        ("-from:bob -gamma", { $0.sender != "bob" && !$0.words.contains("gamma") }),
        ("rare -is:unread", { $0.words.contains("rare") && $0.isRead }),
        ("header:x-group", { $0.group != nil }),
        ("header:x-group=one", { $0.group == "one" }),
        ("-header:x-group=one beta", { $0.group != "one" && $0.words.contains("beta") }),
        ("tag:checked", { $0.isTagged }),
        ("-tag:checked -is:read", { !$0.isTagged && !$0.isRead }),
        ("after:2000-01-01 -gamma", { !$0.words.contains("gamma") }),
        ("before:2000-01-01", { _ in false }),
        ("-has:attachment is:unread", { !$0.isRead }),
        ("smaller:100000 -larger:100000 beta", { $0.words.contains("beta") }),
        ("rare from:b", { $0.words.contains("rare") && $0.sender == "bob" }),  // the short field among few
        ("-from:b alpha", { $0.sender != "bob" }),
    ]

    /// The total and unread count of a query whose first page is smaller than its result: computed by
    /// counting, through index row sets or the join, which must agree with the messages themselves. Every
    /// query runs on one store per backend: filling a store is most of the cost.
    @Test("totals and unread counts", arguments: StoreBackend.available)
    func totals(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let samples = Self.samples()
            var ids: [Int: String] = [:]
            let messages = samples.map { sample in
                let body = sample.words.sorted().joined(separator: " ")
                let group = sample.group.map { "X-Group: \($0)\r\n" } ?? ""
                let raw =
                    "From: \(sample.sender)@example.com\r\nSubject: Note \(sample.index)\r\n\(group)\r\n\(body)\r\n"
                return incoming(raw, inbox: sample.inbox, create: true)
            }
            for (sample, summary) in zip(samples, try await storeSearchable(messages, in: store)) {
                ids[sample.index] = summary.id
            }
            for sample in samples {
                guard let id = ids[sample.index] else { continue }
                if sample.isDeleted {
                    try await store.deleteMessage(id: id)
                    continue
                }
                if sample.isRead || sample.isTagged {
                    _ = try await store.update(
                        id: id, isRead: sample.isRead ? true : nil, tags: sample.isTagged ? ["checked"] : nil)
                }
            }
            for (query, predicate) in Self.queries {
                try await Self.check(query, predicate, samples: samples, ids: ids, on: store)
            }
        }
    }

    static func check(
        _ query: String, _ predicate: (Sample) -> Bool, samples: [Sample], ids: [Int: String],
        on store: any MailpenStore
    ) async throws {
        for inbox in ["default", "other"] {
            let expected = samples.filter { $0.inbox == inbox && !$0.isDeleted && predicate($0) }
            let search = try SearchQuery(parsing: query)
            let page = try await store.messages(MessageQuery(inbox: inbox, search: search), limit: 1)
            #expect(page.total == expected.count, "query \(query) in \(inbox)")
            #expect(page.unread == expected.filter { !$0.isRead }.count, "query \(query) in \(inbox)")
            // Pages, newest first, walk the same matches.
            let newestFirst = expected.reversed().compactMap { ids[$0.index] }
            for offset in [0, 3, max(0, newestFirst.count - 2)] {
                let page = try await store.messages(
                    MessageQuery(inbox: inbox, search: search), limit: 4, offset: offset)
                let wanted = Array(newestFirst.dropFirst(offset).prefix(4))
                #expect(page.messages.map(\.id) == wanted, "query \(query) in \(inbox) at \(offset)")
            }
        }
    }
}
