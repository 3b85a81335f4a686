import Foundation
import Testing

@testable import MailpenIMAPCore

@Suite("IMAP SEARCH translated to the store's search grammar")
struct IMAPSearchTranslationTests {
    static func translation(_ keys: String) throws -> IMAPSearchTranslation {
        let command = try IMAPCommandParser.parse(Array("t SEARCH \(keys)".utf8))
        guard case .search(let key, _, _) = command.kind else {
            Issue.record("not a SEARCH: \(keys)")
            return IMAPSearchTranslation(.all)
        }
        return IMAPSearchTranslation(key)
    }

    /// SEARCH keys and the store queries they become (none: the session answers alone).
    static let table: [(keys: String, queries: [String])] = [
        ("FROM alice", [#"from:"alice""#]),
        (#"TO "Bob Smith""#, [#"to:"Bob Smith""#]),
        ("CC carol", [#"cc:"carol""#]),
        ("BCC audit@example.com", [#"bcc:"audit@example.com""#]),
        (#"SUBJECT "say \"hi\" \\ bye""#, [#"subject:"say \"hi\" \\ bye""#]),
        ("BODY invoice", ["invoice"]),
        ("TEXT x", ["x"]),
        (#"TEXT "order confirmed""#, [#"o"rder confirmed""#]),
        (#"BODY "-is:read""#, [#"i"s:read""#]),
        (##"TEXT "#""##, []),
        (#"BODY """#, []),
        (#"FROM """#, []),
        ("HEADER X-Campaign spring", [#"header:"x-campaign=spring""#]),
        (#"HEADER X-Campaign """#, [#"header:"x-campaign""#]),
        ("HEADER From alice", [#"from:"alice""#]),
        ("HEADER Received mx.example", []),
        ("HEADER DKIM-Signature x", []),
        ("SINCE 1-Feb-2026 FROM a", [#"after:2026-02-01 from:"a""#]),
        ("BEFORE 1-Feb-2026 FROM a", [#"before:2026-02-01 from:"a""#]),
        ("ON 28-Feb-2026 FROM a", [#"after:2026-02-28 before:2026-03-01 from:"a""#]),
        ("ON 29-Feb-2024 FROM a", [#"after:2024-02-29 before:2024-03-01 from:"a""#]),
        ("ON 31-Dec-2024 FROM a", [#"after:2024-12-31 before:2025-01-01 from:"a""#]),
        ("ON 30-Feb-2026 FROM a", [#"from:"a""#]),
        ("LARGER 100 SMALLER 200 BODY x", [#"larger:100 smaller:200 x"#]),
        ("NOT FROM a", [#"-from:"a""#]),
        ("NOT BODY word", ["-word"]),
        ("NOT NOT FROM a", [#"from:"a""#]),
        ("NOT ON 1-Jan-2023 BODY x", ["x"]),
        ("OR FROM a FROM b", [#"from:"a""#, #"from:"b""#]),
        ("OR FROM a SEEN", [#"from:"a""#]),
        ("NOT (FROM a SUBJECT b)", [#"from:"a" subject:"b""#]),
        ("(FROM a (SUBJECT b)) TEXT c", [#"from:"a" subject:"b" c"#]),
        ("UNSEEN FROM a", [#"from:"a""#]),
        ("SEEN", []),
        ("UNSEEN", []),
        ("SINCE 1-Feb-2026", []),
        ("LARGER 10 SMALLER 20", []),
        ("1:3 UID 5:* DELETED NEW OLD RECENT", []),
        ("SENTSINCE 1-Jan-2023", []),
        ("SENTSINCE 1-Jan-2023 FROM a", [#"from:"a""#]),
        ("1:3 TEXT x", ["x"]),
    ]

    @Test("each key maps to its query", arguments: table)
    func keyMapsToQuery(keys: String, queries: [String]) throws {
        #expect(try Self.translation(keys).queries == queries)
    }

    @Test func flagsSequencesAndSentDatesStayWithTheSession() throws {
        #expect(
            try Self.translation("UNSEEN FROM a").plan == .and([.store(0), .session(.flag(.seen, set: false))]))
        #expect(
            try Self.translation("SENTSINCE 1-Jan-2023 FROM a").plan
                == .and([.store(0), .session(.sent(.since, IMAPDate(year: 2023, month: 1, day: 1)))]))
        #expect(try Self.translation("SEEN").plan == .session(.flag(.seen, set: true)))
        #expect(try Self.translation("OR FROM a FROM b").plan == .or(.store(0), .store(1)))
        #expect(try Self.translation("NOT (FROM a SUBJECT b)").plan == .not(.store(0)))
        #expect(try Self.translation("HEADER Received x").plan == .session(.header("RECEIVED", "x")))
    }

    @Test func aQueryHoldsAtMostTheGrammarsTerms() throws {
        let keys = (1...70).map { "BODY w\($0)" }.joined(separator: " ")
        let translation = try Self.translation(keys)
        #expect(translation.queries.count == 1)
        #expect(translation.queries[0].split(separator: " ").count == IMAPSearchTranslation.maximumTerms)
        guard case .and(let plans) = translation.plan else {
            Issue.record("not a conjunction: \(translation.plan)")
            return
        }
        #expect(plans.count == 1 + 70 - IMAPSearchTranslation.maximumTerms)
    }

    @Test func aSearchMakesAtMostSixteenQueries() throws {
        let keys = String(repeating: "OR FROM a ", count: 20) + "FROM z"
        #expect(try Self.translation(keys).queries.count == IMAPSearchTranslation.maximumQueries)
    }

    // MARK: - The session with a store

    @Test func theStoreAnswersTextKeysWithoutReadingMessages() {
        var driver = IMAPDriver()
        driver.storeSearch = { queries in queries == [#"from:"carol""#] ? [["m2"]] : nil }
        driver.select()
        #expect(driver.send("c SEARCH FROM carol\r\n").lines.first == "* SEARCH 2")
        #expect(driver.requests.contains(.searchMailbox(username: "bob", queries: [#"from:"carol""#])))
        #expect(!driver.requests.contains { if case .loadMessages = $0 { true } else { false } })
    }

    @Test func orCombinesTheMatchesOfTwoQueries() {
        var driver = IMAPDriver()
        driver.storeSearch = { queries in
            queries.map { $0.contains("alice") ? ["m1"] : $0.contains("carol") ? ["m2"] : [] }
        }
        driver.select()
        #expect(driver.send("c UID SEARCH OR FROM alice FROM carol\r\n").lines.first == "* SEARCH 10 20")
        #expect(driver.send("c SEARCH NOT (OR FROM alice FROM carol)\r\n").lines.first == "* SEARCH 3")
        #expect(driver.send("c SEARCH UNSEEN OR FROM alice FROM carol\r\n").lines.first == "* SEARCH 2")
    }

    @Test func onlyTheStoresMatchesAreReadForKeysLeftToTheSession() {
        var driver = IMAPDriver()
        driver.storeSearch = { queries in queries.map { _ in ["m2", "m3"] } }
        driver.select()
        #expect(driver.send("c SEARCH SENTSINCE 3-Jan-2023 TEXT bob\r\n").lines.first == "* SEARCH 2 3")
        let loaded = driver.requests.compactMap { request -> [String]? in
            if case .loadMessages(let ids) = request { return ids }
            return nil
        }
        #expect(loaded == [["m2", "m3"]])
    }

    @Test func aFailingStoreLeavesEveryKeyToTheSession() {
        var driver = IMAPDriver()
        driver.select()
        #expect(driver.send("c SEARCH FROM carol\r\n").lines.first == "* SEARCH 2")
        #expect(driver.send("c SEARCH OR FROM alice FROM carol\r\n").lines.first == "* SEARCH 1 2")
        // A store answering the wrong number of queries is not believed either.
        driver.storeSearch = { _ in [] }
        #expect(driver.send("c SEARCH FROM dave\r\n").lines.first == "* SEARCH 3")
    }

    @Test func searchingAnEmptyMailboxAsksTheStoreNothing() {
        var driver = IMAPDriver(messages: [])
        driver.select()
        #expect(driver.send("c SEARCH FROM carol\r\n").lines.first == "* SEARCH")
        #expect(!driver.requests.contains { if case .searchMailbox = $0 { true } else { false } })
    }
}
