import Foundation
import MailpenTestSupport
import Testing

@testable import MailpenStore

/// What a wait for mail answers, and how it ends, on SQLite and on PostgreSQL.
@Suite("Waits", .postgresTimeLimit)
struct WaitTests {
    /// The stores a wait is checked on: each backend, and an SQLite store in memory, which has no wait matcher
    /// and looks for new matches in the search index instead.
    enum WaitStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite
        case sqliteInMemory
        case postgres

        var testDescription: String { rawValue }

        static var available: [WaitStore] {
            StoreBackend.available.contains(.postgres) ? allCases : [.sqlite, .sqliteInMemory]
        }

        func run(_ body: (any MailpenStore) async throws -> Void) async throws {
            switch self {
            case .sqlite: try await withStore(on: .sqlite, body)
            case .postgres: try await withStore(on: .postgres, body)
            case .sqliteInMemory:
                let store = try SQLiteStore(configuration: .init(path: ":memory:"))
                #expect(store.matcher == nil)
                do {
                    try await body(store)
                } catch {
                    try? await store.close()
                    throw error
                }
                try await store.close()
            }
        }
    }

    /// A wait checks each new message against its query; messages that matched before it began still count,
    /// and a new one that does not match is not taken, whichever index (words or fields) drives the query.
    @Test(
        arguments: [("alpha", false), ("from:alice", false), ("alpha from:alice -beta", true)], WaitStore.available)
    func waitCountsOlderMatchesAndChecksOnlyNewRows(queryCase: (String, Bool), on kind: WaitStore) async throws {
        let (query, excludesBeta) = queryCase
        try await kind.run { store in
            func send(_ body: String, from sender: String = "alice") async throws -> String {
                try await store.store(incoming("From: \(sender)@example.com\r\nSubject: note\r\n\r\n\(body)\r\n")).id
            }
            var older: [String] = []
            for number in 0..<5 { older.append(try await send("alpha \(number)")) }
            let search = MessageQuery(inbox: "default", search: try SearchQuery(parsing: query))
            let found = try await beginWait(on: store) {
                try await store.waitForMessages(search, count: 7, timeout: .seconds(20))
            }
            _ = try await send("gamma", from: "bob")  // matches none of the queries
            let again = try await send("alpha again")
            let beta = try await send("alpha beta")
            let more = try await send("alpha more")
            let expected = [excludesBeta ? more : beta, again] + older.reversed()
            #expect(try await found.value.map(\.id) == expected)
        }
    }

    /// A message stored before the wait began counts with those stored while it waits.
    @Test("messages from before the wait still count", arguments: StoreBackend.available)
    func olderMessagesStillCount(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            let first = try await store.store(incoming("Subject: invoice 1\r\n\r\nx\r\n"))
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:invoice"))
            let found = try await beginWait(on: store) {
                try await store.waitForMessages(query, count: 2, timeout: .seconds(20))
            }
            let second = try await store.store(incoming("Subject: invoice 2\r\n\r\nx\r\n"))
            #expect(try await found.value.map(\.id) == [second.id, first.id])
        }
    }

    /// A wait of no time at all answers from what is stored, and times out only when that is not enough.
    @Test("a wait with a zero timeout answers from the messages already stored", arguments: StoreBackend.available)
    func zeroTimeoutAnswersFromStoredMessages(backend: StoreBackend) async throws {
        try await withStore(on: backend) { store in
            // Searchable first: the one look sees what search sees.
            let stored = try await storeSearchable(
                [incoming("Subject: invoice 1\r\n\r\nx\r\n"), incoming("Subject: invoice 2\r\n\r\nx\r\n")], in: store)
            let query = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:invoice"))
            #expect(
                try await store.waitForMessages(query, count: 2, timeout: .zero).map(\.id)
                    == stored.map(\.id).reversed())
            await #expect(throws: StoreError.timedOut) {
                try await store.waitForMessages(query, count: 3, timeout: .zero)
            }
        }
    }

    /// A wait ends with `timedOut` after its timeout, with the cancellation when its caller is cancelled,
    /// and with `closed` when the store closes under it.
    @Test("a wait ends on its timeout, on cancellation and when the store closes", arguments: StoreBackend.available)
    func waitsEnd(backend: StoreBackend) async throws {
        try await withDatabase(on: backend) { open in
            let store = try await open()
            let idle = try await waitingSubscribers(on: store)
            let never = MessageQuery(inbox: "default", search: try SearchQuery(parsing: "subject:nevermatches"))
            await #expect(throws: StoreError.timedOut) {
                try await store.waitForMessages(never, count: 1, timeout: .milliseconds(100))
            }
            try await untilWaitsEnded(on: store, idle: idle)
            let cancelled = try await beginWait(on: store) {
                try await store.waitForMessages(never, count: 1, timeout: .seconds(60))
            }
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            try await untilWaitsEnded(on: store, idle: idle)
            let pending = try await beginWait(on: store) {
                try await store.waitForMessages(never, count: 1, timeout: .seconds(60))
            }
            try await store.close()
            await #expect(throws: StoreError.closed) { try await pending.value }
        }
    }
}
