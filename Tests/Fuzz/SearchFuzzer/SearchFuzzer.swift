// libFuzzer entry point for the search grammar: each input is the text of a query, as `?q=` hands it over
// (invalid UTF-8 replaced). SQL needs GRDB, so SwiftPM builds this one, with the fuzzer and address
// sanitizers, in a scratch path of its own (see `make fuzz-search`); seeded with fixtures/search. Any crash,
// sanitizer report, timeout or broken invariant is a bug:
// - the text parses, or throws a SearchSyntaxError at a position from 1 to one past its last character;
// - a parsed query has at most SearchQuery.maximumTerms terms, and its text parses back to an equal query;
// - its SQL prepares and runs against the real schema: a real in-memory store's tables and search index,
//   holding one indexed message. SearchSQL's statement runs for the whole query and for each term on its
//   own (so every condition, with its FTS5 MATCH expression, is evaluated against the message), and so
//   does each MATCH of the row-set plan. The store's own statements around that SQL (its page and
//   count, the checks of new messages and of waits, the row-set plan with its inbox membership and columns) run
//   once for each shape of query: what they add to it depends only on the table that drives it and on the
//   plan, and the conditions and values inside them are those just run.

import Dispatch
import Foundation
import GRDB
import MailpenSMTPCore

@testable import MailpenStore

/// Sets up the store before the first input, so that the first input's run is like any other.
@_cdecl("LLVMFuzzerInitialize")
public func searchFuzzerInitialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    _ = SearchFixture.shared
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func searchFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let query: SearchQuery
    do {
        query = try SearchQuery(parsing: text)
    } catch {
        precondition(
            (1...(text.count + 1)).contains(error.position),
            "error position out of range for \(text.debugDescription): \(error)")
        precondition(!error.reason.isEmpty, "an error without a reason for \(text.debugDescription)")
        return 0
    }
    precondition(query.terms.count <= SearchQuery.maximumTerms, "too many terms: \(query.terms.count)")
    checkRoundTrip(query, from: text)
    SearchFixture.shared.checkSQL(of: query)
    return 0
}

/// The query's text must parse back to the same query.
func checkRoundTrip(_ query: SearchQuery, from text: String) {
    let printed = query.text
    do {
        let reparsed = try SearchQuery(parsing: printed)
        precondition(
            reparsed == query,
            "\(text.debugDescription) parsed to \(query.terms), printed as \(printed.debugDescription), "
                + "which parses to \(reparsed.terms)")
    } catch {
        preconditionFailure(
            "\(text.debugDescription) printed as \(printed.debugDescription), which does not parse: \(error)")
    }
}

/// A real in-memory store holding one indexed message, against which every query's SQL runs.
final class SearchFixture: Sendable {
    static let shared = SearchFixture()

    let store: SQLiteStore
    let inboxID: Int64
    let messageID: String
    /// The shapes of query whose surrounding statements have run, by hash.
    private let shapes = Locked<Set<Int>>([])

    static let message = """
        From: Alice Example <alice@example.com>\r
        To: Bob <bob@example.com>\r
        Cc: carol@example.org\r
        Reply-To: help@example.com\r
        Subject: Welcome to the shop\r
        Message-ID: <welcome-1@shop.example>\r
        X-Campaign: spring sale\r
        \r
        Please confirm your account: https://shop.example/confirm?token=abc\r

        """

    private init() {
        do {
            let store = try SQLiteStore(configuration: .init(path: ":memory:"))
            let summary = try blocking {
                let summary = try await store.store(
                    IncomingMessage(
                        inbox: "default", raw: Array(Self.message.utf8),
                        envelope: MessageEnvelope(
                            source: .smtp, mailFrom: "alice@example.com",
                            recipients: [.init(address: "bob@example.com")]),
                        inboxCreation: .never))
                // Polled rather than awaited on the change feed, whose subscription holds a weak reference:
                // LeakSanitizer cannot follow Swift's pointer to its side table, and reports it as a leak.
                let indexed = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "welcome"))
                while try await store.messages(indexed).total == 0 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                return summary
            }
            self.store = store
            self.messageID = summary.id
            guard let inbox = try store.database.read({ try InboxReference.find("default", in: $0) }) else {
                preconditionFailure("the default inbox is missing")
            }
            self.inboxID = inbox.id
        } catch {
            preconditionFailure("could not set up the store: \(error)")
        }
    }

    /// Where a term's rows come from, without its value: the shapes worth running the whole search for.
    static func kind(of source: IndexedSearch.Term.Source) -> String {
        switch source {
        case .fullText(let table, _): "text \(table)"
        case .fieldScan: "field scan"
        case .tag: "tag"
        case .header(_, let value): value == nil ? "header" : "header value"
        case .unread: "unread"
        case .column(let test): "column " + String(describing: test).prefix { $0 != "(" }
        }
    }

    /// Runs `query`'s SQL; any SQLite error is a bug.
    func checkSQL(of query: SearchQuery) {
        let whole = MessageQuery(inbox: "default", search: query)
        let search = SearchSQL(query)
        let plan = IndexedSearch(query)
        do {
            try store.database.writeWithoutTransaction { db in
                // Each term on its own: its condition is then the only one the message has to pass.
                for term in query.terms {
                    try Self.run(SearchSQL(SearchQuery(terms: [term])), keepingStatement: true, in: db)
                }
                // Kept statements are for the few shapes of one term; a whole query's is seldom seen again.
                try Self.run(search, keepingStatement: false, in: db)
                for term in plan?.terms ?? [] {
                    guard case .fullText(let table, let expression) = term.source else { continue }
                    let statement = try db.cachedStatement(
                        sql: "SELECT rowid FROM search.\(table) WHERE \(table) MATCH ?")
                    _ = try Row.fetchAll(statement, arguments: [expression])
                }
            }
            var shape = Hasher()
            shape.combine(search.from)
            shape.combine(search.order)
            for term in plan?.terms ?? [] {
                shape.combine(Self.kind(of: term.source))
                shape.combine(term.isNegated)
            }
            guard shapes.withLock({ $0.insert(shape.finalize()).inserted }) else { return }
            let inboxID = self.inboxID
            try store.database.writeWithoutTransaction { db in
                _ = try MessageSQL.summaries(matching: whole, inRows: 0...Int64.max, in: db)
                var reader = TermReader(indexSchema: "search.", kept: [:])
                _ = try plan?.matches(inboxID: inboxID, membership: nil, reading: &reader, in: db)
            }
            let store = self.store
            let messageID = self.messageID
            try blocking {
                // A page, the count of a full page, and the check of new messages.
                _ = try await store.messages(whole, limit: 1, offset: 0)
                _ = try await store.messages(whole, limit: 0, offset: 1)
                _ = try await store.summaries(matching: whole, among: [messageID])
            }
        } catch {
            preconditionFailure("the SQL of \(query.text.debugDescription) (\(query.terms)) failed: \(error)")
        }
    }

    /// SearchSQL's statement, run against the message.
    private static func run(_ search: SearchSQL, keepingStatement: Bool, in db: Database) throws {
        let sql = "SELECT m.seq FROM \(search.from) WHERE \(search.whereClause)"
        let statement = keepingStatement ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        _ = try Row.fetchAll(statement, arguments: search.arguments)
    }
}

/// A value shared between the fuzzer's thread and the tasks it waits for.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&value) }
    }
}

/// Runs `body` to its end from the fuzzer's synchronous callback.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Locked<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    guard let result = outcome.withLock({ $0 }) else { preconditionFailure("the task has not finished") }
    return try result.get()
}
