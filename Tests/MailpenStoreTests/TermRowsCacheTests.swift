import Foundation
import GRDB
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search: term rows kept between searches")
struct TermRowsCacheTests {
    /// Message `index` of the test: which terms it matches follows from its number.
    static func message(_ index: Int) -> String {
        let from = index % 4 == 0 ? "alice@example.com" : "bob@example.net"
        let subject = index % 7 == 0 ? "Note \(index) zz" : "Note \(index)"
        let batch = index % 2 == 1 ? "X-Batch: \(index % 5)\r\n" : ""
        let body =
            (index % 2 == 0 ? "alpha " : "") + (index % 3 == 0 ? "gamma beta" : "delta")
            + (index % 11 == 0 ? " omega" : "")
        return "From: \(from)\r\nSubject: \(subject)\r\n\(batch)\r\n\(body)\r\n"
    }

    /// Each kept source — a word, a phrase, a trigram field, a field too short for trigrams, header names
    /// and values — alone, negated and combined, with what it must match.
    static let queries: [(query: String, matches: @Sendable (Int) -> Bool)] = [
        ("alpha", { $0 % 2 == 0 }),
        ("\"gamma beta\"", { $0 % 3 == 0 }),
        ("from:alice", { $0 % 4 == 0 }),
        ("subject:zz", { $0 % 7 == 0 }),
        ("header:X-Batch", { $0 % 2 == 1 }),
        ("header:X-Batch=3", { $0 % 2 == 1 && $0 % 5 == 3 }),
        ("-alpha", { $0 % 2 != 0 }),
        ("alpha -from:alice subject:zz", { $0 % 2 == 0 && $0 % 4 != 0 && $0 % 7 == 0 }),
    ]

    /// A search keeps its terms' rows and the next one reads only what was indexed since: new mail must show
    /// in every later search of a kept term, and deleted or cleared mail must not.
    @Test("kept terms see new mail, deletions and clearing")
    func keptTermsFollowTheStore() async throws {
        try await withStore { store, _ in
            var ids: [Int: String] = [:]
            var next = 0
            func send(_ count: Int) async throws {
                let indexes = Array(next..<(next + count))
                next += count
                let stored = try await storeSearchable(indexes.map { incoming(Self.message($0)) }, in: store)
                for (index, summary) in zip(indexes, stored) { ids[index] = summary.id }
            }
            func expectAnswers(_ comment: Comment) async throws {
                for (query, matches) in Self.queries {
                    let page = try await store.messages(
                        MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)), limit: 1000)
                    let expected = Set(ids.filter { matches($0.key) }.map(\.value))
                    #expect(Set(page.messages.map(\.id)) == expected, "\(query), \(comment)")
                    #expect(page.total == expected.count, "\(query), \(comment)")
                }
            }

            try await send(60)
            try await expectAnswers("first searches")
            let first = await store.termRows.kept
            #expect(first.count == 6, "each of the six table terms is kept")
            #expect(first.values.allSatisfy { $0 > 0 })

            try await send(45)
            try await expectAnswers("after new mail")
            let second = await store.termRows.kept
            #expect(second.count == 6)
            for (key, through) in second { #expect(through > first[key] ?? .max, "\(key) was brought up to date") }

            for index in [0, 3, 28, 104] {
                if let id = ids.removeValue(forKey: index) { try await store.deleteMessage(id: id) }
            }
            try await expectAnswers("after deletions")

            _ = try await store.clearInbox(named: "default")
            ids.removeAll()
            try await expectAnswers("after clearing the inbox")
            try await send(30)
            try await expectAnswers("after mail into the cleared inbox")
        }
    }

    /// A field too short for trigrams, beside a term with few matches, is tested on those alone, row by row,
    /// and not kept (it saw only some rows); once a search of its own keeps it, the pair uses the kept rows.
    @Test("a short field looked up among few candidates, then kept")
    func shortFieldLookedUpThenKept() async throws {
        try await withStore { store, _ in
            var ids: [Int: String] = [:]
            func send(_ indexes: Range<Int>) async throws {
                let stored = try await storeSearchable(indexes.map { incoming(Self.message($0)) }, in: store)
                for (index, summary) in zip(indexes, stored) { ids[index] = summary.id }
            }
            func expect(_ query: String, _ matches: (Int) -> Bool, _ comment: Comment) async throws {
                let page = try await store.messages(
                    MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)), limit: 1000)
                let expected = Set(ids.filter { matches($0.key) }.map(\.value))
                #expect(Set(page.messages.map(\.id)) == expected, "\(query), \(comment)")
                #expect(page.total == expected.count, "\(query), \(comment)")
            }
            func keptFieldScans() async -> [Int64] {
                await store.termRows.kept.compactMap { key, through in
                    if case .fieldScan = key { through } else { nil }
                }
            }
            let pair = "omega subject:zz"
            let pairMatches: (Int) -> Bool = { $0 % 11 == 0 && $0 % 7 == 0 }

            try await send(0..<60)  // omega: 6 messages, few enough to look each one up
            try await expect(pair, pairMatches, "looked up")
            #expect(await keptFieldScans().isEmpty, "a lookup among candidates is not kept")

            try await expect("subject:zz", { $0 % 7 == 0 }, "alone")
            let kept = await keptFieldScans()
            #expect(kept.count == 1)
            try await send(60..<100)
            try await expect(pair, pairMatches, "kept, after new mail")
            let extended = await keptFieldScans()
            #expect(extended.count == 1)
            #expect(extended.first ?? 0 > kept.first ?? .max, "the pair brought the kept rows up to date")
            if let id = ids.removeValue(forKey: 0) { try await store.deleteMessage(id: id) }
            try await expect(pair, pairMatches, "kept, after a deletion")
        }
    }

    /// Random mail, deletions and queries of every kept term shape, round after round: the answers with the
    /// terms kept from earlier rounds must equal those read afresh, and those of the SQL path (which keeps
    /// nothing; it shares only the header query and the GLOB patterns with the bitmaps). The first round
    /// keeps nothing yet; deleted messages stay in the index during the test, as before a purge.
    @Test("kept and fresh answers agree on random mail and queries")
    func keptAndFreshAgree() async throws {
        var corpus = RandomSearchCorpus(seed: 0x5EED_2026_1205)
        let queries = corpus.queries(40)

        try await withStore { store, _ in
            var ids: [String] = []
            func answers() async throws -> [String: Set<String>] {
                var found: [String: Set<String>] = [:]
                for text in queries {
                    let search = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                    let page = try await store.messages(search, limit: 1000)
                    #expect(page.total == page.messages.count, "\(text)")
                    found[text] = Set(page.messages.map(\.id))
                }
                return found
            }
            for round in 0..<6 {
                let sent = try await storeSearchable(corpus.messages().map { incoming($0) }, in: store)
                ids += sent.map(\.id)
                for index in corpus.deletions(among: ids.count) {
                    try await store.deleteMessage(id: ids.remove(at: index))
                }
                let kept = try await answers()
                #expect(await !store.termRows.kept.isEmpty)
                await store.termRows.forgetAll()
                let fresh = try await answers()
                let sql = try await store.database.read { db in
                    try queries.map { text in
                        let search = MessageQuery(inbox: "default", search: try SearchQuery(parsing: text))
                        return (
                            text,
                            Set(try MessageSQL.summaries(matching: search, inRows: 0...Int64.max, in: db).map(\.id))
                        )
                    }
                }
                for (text, rows) in sql {
                    #expect(kept[text] == fresh[text], "round \(round): \(text), kept against fresh")
                    #expect(fresh[text] == rows, "round \(round): \(text), bitmaps against SQL")
                }
            }
        }
    }

    /// A term first read while the index is behind the stored messages is kept up to the index's mark,
    /// not up to the newest message: the messages indexed after it must show in the next search.
    @Test("a term kept while the index lags still finds what is indexed later")
    func termsKeptWhileTheIndexLags() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try SearchIndexSchema.prepare(db, schema: "")
            try db.execute(sql: "CREATE TABLE message (seq INTEGER PRIMARY KEY)")
            for seq in 1...5 { try db.execute(sql: "INSERT INTO message (seq) VALUES (?)", arguments: [seq]) }
        }
        /// Indexes messages `seqs` (each with the word alpha) and moves the mark to the last, as the indexer does.
        func index(_ seqs: ClosedRange<Int64>) throws {
            try db.write { db in
                for seq in seqs {
                    try db.execute(
                        sql:
                            "INSERT INTO message_text (rowid, subject, addresses, body) VALUES (?, 'note', '', 'alpha')",
                        arguments: [seq])
                }
                try db.execute(sql: "UPDATE index_state SET indexed_seq = ?", arguments: [seqs.upperBound])
            }
        }
        let alpha = IndexedSearch.Term(
            source: .fullText(table: SearchIndexSchema.textTable, expression: "\"alpha\"*"), isNegated: false)
        func search(kept: [TermRowsKey: TermRowsCache<TermRowsKey>.Entry]) throws
            -> (rows: [Int64], updated: [TermRowsKey: TermRowsCache<TermRowsKey>.Entry])
        {
            try db.read { db in
                var reader = TermReader(indexSchema: "", kept: kept)
                let rows = try reader.rows(of: alpha, among: nil, largest: 5, in: db)
                return (Array(rows), reader.updated)
            }
        }

        try index(1...3)  // Messages 4 and 5 are stored, not yet indexed.
        let first = try search(kept: [:])
        #expect(first.rows == [1, 2, 3])
        #expect(first.updated.values.map(\.through) == [3])
        try index(4...5)
        #expect(try search(kept: first.updated).rows == [1, 2, 3, 4, 5])
    }

    /// Text the index compares byte by byte is kept apart byte by byte: `café` with a combining accent and
    /// with a precomposed one are equal Swift strings but match different messages.
    @Test("canonically equal spellings are different terms")
    func canonicallyEqualSpellingsAreDifferentTerms() async throws {
        try await withStore { store, _ in
            let precomposed = "caf\u{E9}"
            let combining = "cafe\u{301}"
            #expect(precomposed == combining, "Swift compares them as equal")
            let stored = try await storeSearchable(
                [
                    incoming("Subject: \(precomposed) menu\r\nX-Dish: \(precomposed)\r\n\r\nbody\r\n"),
                    incoming("Subject: \(combining) menu\r\nX-Dish: \(combining)\r\n\r\nbody\r\n"),
                ], in: store)
            for (index, spelling) in [precomposed, combining, precomposed].enumerated() {
                let expected = stored[index % 2].id
                for query in ["subject:\(spelling)", "header:x-dish=\(spelling)"] {
                    let page = try await store.messages(
                        MessageQuery(inbox: "default", search: try SearchQuery(parsing: query)), limit: 10)
                    #expect(page.messages.map(\.id) == [expected], "\(query) (search \(index + 1))")
                }
            }
        }
    }

    /// The cache holds at most its bounds, letting the least recently used terms go first, and never
    /// replaces a term's rows with older ones (a search that began before another one's).
    @Test("the cache keeps its bounds and the newest rows")
    func boundsAndNewestRows() async {
        let cache = TermRowsCache<TermRowsKey>(maximumEntries: 2, maximumBytes: 1 << 20)
        func entry(through: Int64) -> TermRowsCache<TermRowsKey>.Entry {
            TermRowsCache<TermRowsKey>.Entry(rows: RowSet(largest: through), through: through)
        }
        let (a, b, c) = (
            TermRowsKey.fullText(table: "t", expression: Array("a".utf8)),
            TermRowsKey.header(name: Array("b".utf8), value: nil),
            TermRowsKey.fieldScan(columns: ["subject"], value: Array("c".utf8))
        )
        await cache.remember([a: entry(through: 10)])
        await cache.remember([b: entry(through: 10)])
        _ = await cache.entries(for: [a])  // b is now the least recently used
        await cache.remember([c: entry(through: 10)])
        #expect(Set(await cache.kept.keys) == [a, c])

        await cache.remember([a: entry(through: 5)])
        #expect(await cache.kept[a] == 10, "older rows do not replace newer ones")
        await cache.remember([a: entry(through: 20)])
        #expect(await cache.kept[a] == 20)

        let small = TermRowsCache<TermRowsKey>(maximumEntries: 10, maximumBytes: 2 * RowSet(largest: 64_000).byteCount)
        await small.remember([a: entry(through: 64_000), b: entry(through: 64_000)])
        await small.remember([c: entry(through: 64_000)])
        #expect(await small.kept.count == 2, "the byte bound holds two sets of this size")
    }
}
