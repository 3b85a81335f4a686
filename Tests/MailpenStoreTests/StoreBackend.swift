import Foundation
import Logging
import MailpenTestSupport
import PostgresNIO
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

/// The stores the backend-neutral tests run against: SQLite always, PostgreSQL when `MAILPEN_TEST_POSTGRES`
/// names a server whose user may create databases (`eval "$(scripts/test-postgres.sh start)"`; `make test`
/// always sets it). Each test gets a database of its own.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var postgresURL: PostgresURL? { TestPostgres.serverURL }

    static let skipNote = TestPostgres.skipNote

    /// The backends that can run here.
    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A store of `backend` on a fresh database, closed afterwards. `sqlite` may change an SQLite store's
/// configuration first (settings PostgreSQL has no counterpart of, such as where deep pages begin).
func withStore(
    on backend: StoreBackend, retention: RetentionDefaults = .init(),
    sqlite configure: (inout SQLiteStore.Configuration) -> Void = { _ in },
    _ body: (any MailpenStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await withStore(retention: retention, configure) { store, _ in try await body(store) }
    case .postgres:
        try await withPostgresStore(retention: retention) { store, _ in try await body(store) }
    }
}

/// A fresh database of `backend`, dropped afterwards; `body` opens stores on it with the function it is
/// given, as often as it likes (to reopen one, or to close one itself), and closes each.
func withDatabase(
    on backend: StoreBackend, _ body: (_ open: () async throws -> any MailpenStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await withDatabasePath { path in
            try await body { try SQLiteStore(configuration: .init(path: path)) }
        }
    case .postgres:
        try await withPostgresDatabase { url in
            try await body { try await PostgresStore.open(.init(url: url, poolSize: 4), logger: testLogger) }
        }
    }
}

/// The transactions the store's writer has committed new mail in so far.
func writerBatches(_ store: any MailpenStore) async throws -> Int {
    switch store {
    case let sqlite as SQLiteStore: return await sqlite.writerStatistics.batches
    case let postgres as PostgresStore: return await postgres.writer.statistics.batches
    default: throw StoreTestError.unknownBackend
    }
}

/// Starts `wait` and returns once it is watching for new mail (it has subscribed to what wakes waits), so
/// that what the test stores next arrives while it waits, not before. Waits that ended before must have
/// let go of their subscriptions (``untilWaitsEnded(on:idle:)``), or this would count them.
func beginWait<Value: Sendable>(
    on store: any MailpenStore, _ wait: @escaping @Sendable () async throws -> Value
) async throws -> Task<Value, any Error> {
    let feed = try wakingFeed(of: store)
    let baseline = await feed.count()
    let task = Task { try await wait() }
    await feed.reaches { $0 > baseline }
    return task
}

/// How many subscribe to what wakes the store's waits: read before a test's first wait, then awaited with
/// ``untilWaitsEnded(on:idle:)`` once a wait ended, so that the next ``beginWait(on:_:)`` counts from there.
func waitingSubscribers(on store: any MailpenStore) async throws -> Int {
    await (try wakingFeed(of: store)).count()
}

/// Returns once the waits that ended have let go of their subscriptions (which end a moment after them).
func untilWaitsEnded(on store: any MailpenStore, idle: Int) async throws {
    await (try wakingFeed(of: store)).reaches { $0 <= idle }
}

/// The subscriber count of the feed a store's waits subscribe to last: the search index's announcements,
/// on either backend.
private func wakingFeed(of store: any MailpenStore) throws -> WakingFeed {
    switch store {
    case let sqlite as SQLiteStore: return WakingFeed(sqlite.indexed)
    case let postgres as PostgresStore: return WakingFeed(postgres.indexed)
    default: throw StoreTestError.unknownBackend
    }
}

/// A change feed of either element type, as far as counting its subscribers goes.
private struct WakingFeed {
    /// The number of subscribers now.
    let count: @Sendable () async -> Int
    /// Returns once the number of subscribers meets the condition.
    let reaches: @Sendable (_ condition: @escaping @Sendable (Int) -> Bool) async -> Void

    init<Element: Sendable>(_ feed: ChangeFeed<Element>) {
        count = { await feed.subscriberCount }
        reaches = { await feed.subscriberCount(where: $0) }
    }
}

enum StoreTestError: Error {
    case unknownBackend
}

/// Stores `messages` in order and returns once a search can find every one of them: once the search index
/// has taken them in (SQLite's indexer, or PostgreSQL's, which fills their texts).
func storeSearchable(_ messages: [IncomingMessage], in store: any MailpenStore) async throws -> [MessageSummary] {
    let events: AsyncThrowingStream<IndexedMessages, any Error>
    switch store {
    case let sqlite as SQLiteStore: events = await sqlite.indexed.subscribe(bufferSize: 4096)
    case let postgres as PostgresStore: events = await postgres.indexed.subscribe(bufferSize: 4096)
    default: throw StoreTestError.unknownBackend
    }
    var summaries: [MessageSummary] = []
    for message in messages { summaries.append(try await store.store(message)) }
    var waiting = Set(summaries.map(\.id))
    if !waiting.isEmpty {
        for try await event in events {
            waiting.subtract(event.ids)
            if waiting.isEmpty { break }
        }
    }
    return summaries
}
