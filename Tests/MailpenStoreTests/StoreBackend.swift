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

    static let postgresURL: PostgresURL? = {
        guard let text = ProcessInfo.processInfo.environment["MAILPEN_TEST_POSTGRES"], !text.isEmpty else {
            return nil
        }
        do {
            return try PostgresURL(text)
        } catch {
            fatalError("MAILPEN_TEST_POSTGRES: \(error)")
        }
    }()

    static let skipNote =
        "MAILPEN_TEST_POSTGRES is not set: the PostgreSQL runs are skipped "
        + "(eval \"$(scripts/test-postgres.sh start)\" to run them)"

    /// The backends that can run here.
    static var available: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// Test databases in use at once: tests run in parallel, and each node holds several connections, so
/// unbounded they would exceed the server's `max_connections`.
actor PostgresTestSlots {
    static let shared = PostgresTestSlots(count: 6)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// A fresh, empty database on the test server, dropped afterwards.
func withPostgresDatabase(_ body: (PostgresURL) async throws -> Void) async throws {
    let server = try #require(StoreBackend.postgresURL, "\(StoreBackend.skipNote)")
    await PostgresTestSlots.shared.acquire()
    defer { Task { await PostgresTestSlots.shared.release() } }
    let name = "mailpen_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try await runAdministrative(on: server, "CREATE DATABASE \(name)")
    var url = server
    url.database = name
    do {
        try await body(url)
    } catch {
        try? await runAdministrative(on: server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        throw error
    }
    try await runAdministrative(on: server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
}

/// Runs one statement on the test server's own database (which the tests leave alone).
func runAdministrative(on url: PostgresURL, _ sql: String) async throws {
    try await withPostgresConnection(url) { connection in
        try await connection.run(PostgresQuery(unsafeSQL: sql), logger: testLogger)
    }
}

/// A connection of the test's own to `url`'s database, to look at it from outside the store.
func withPostgresConnection<T: Sendable>(
    _ url: PostgresURL, _ body: (PostgresConnection) async throws -> T
) async throws -> T {
    let connection = try await PostgresConnection.connect(
        configuration: url.connectionConfiguration(), id: 99, logger: testLogger)
    do {
        let value = try await body(connection)
        try await connection.close()
        return value
    } catch {
        try? await connection.close()
        throw error
    }
}

let testLogger = Logger(label: "mailpen.test")

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
