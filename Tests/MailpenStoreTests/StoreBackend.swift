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

/// A PostgreSQL store on a fresh database, closed afterwards.
func withPostgresStore(
    retention: RetentionDefaults = .init(), _ body: (PostgresStore, PostgresURL) async throws -> Void
) async throws {
    try await withPostgresDatabase { url in
        let store = try await PostgresStore.open(.init(url: url, retention: retention, poolSize: 4), logger: testLogger)
        do {
            try await body(store, url)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}

/// A store of `backend` on a fresh database, closed afterwards.
func withStore(
    on backend: StoreBackend, retention: RetentionDefaults = .init(), _ body: (any MailpenStore) async throws -> Void
) async throws {
    switch backend {
    case .sqlite:
        try await withStore(retention: retention) { store, _ in try await body(store) }
    case .postgres:
        try await withPostgresStore(retention: retention) { store, _ in try await body(store) }
    }
}

/// Stores `messages` in order and returns once a search can find every one of them: at once on PostgreSQL,
/// whose search entries are committed with the message; on SQLite once the indexer has caught up.
func storeSearchable(_ messages: [IncomingMessage], in store: any MailpenStore) async throws -> [MessageSummary] {
    guard let sqlite = store as? SQLiteStore else {
        var summaries: [MessageSummary] = []
        for message in messages { summaries.append(try await store.store(message)) }
        return summaries
    }
    let events = await sqlite.indexed.subscribe(bufferSize: 4096)
    var summaries: [MessageSummary] = []
    for message in messages { summaries.append(try await sqlite.store(message)) }
    var searchable = 0
    if !summaries.isEmpty {
        for try await event in events {
            searchable += event.ids.count
            if searchable >= summaries.count { break }
        }
    }
    return summaries
}
