import Foundation
import GRDB
import Logging
import MailpenTestSupport
import Testing

@testable import MailpenStore

@Suite("Search indexer: a run that fails")
struct IndexerFailureTests {
    /// While indexing fails (here: a table of the index dropped under it), the indexer tries again once a
    /// second. Mail that keeps arriving must not start runs of its own beside that retry: each would fail,
    /// log and schedule a retry of its own, so a stream of mail would multiply the failing runs.
    @Test func commitsDuringAFailureDoNotStartRunsOfTheirOwn() async throws {
        try await withDatabasePath { path in
            let lines = LoggedLines(minimumLevel: .error)
            let store = try SQLiteStore(configuration: .init(path: path), logger: lines.logger)
            let events = await store.indexed.subscribe()
            _ = try await store.store(incoming("Subject: first\r\n\r\nx\r\n"))
            for try await _ in events { break }

            var waiting = Configuration()
            waiting.busyMode = .timeout(5)
            let index = try DatabaseQueue(path: path + "-search", configuration: waiting)
            try await index.write { db in try db.execute(sql: "DROP TABLE message_header_lines") }
            try await index.close()

            // A stream of mail for 1.5 s: a commit every 10 ms or so.
            let started = ContinuousClock.now
            var number = 0
            while ContinuousClock.now - started < .milliseconds(1500) {
                _ = try await store.store(incoming("Subject: stream \(number)\r\n\r\nx\r\n"))
                number += 1
                try await Task.sleep(for: .milliseconds(10))
            }
            let failures = lines.containing("search indexing failed").count
            try await store.close()
            // The first failure, and one retry a second after it (a third only if this machine is slow enough
            // for the stream and the close to pass two seconds).
            #expect(failures >= 1, "indexing never failed")
            #expect(failures <= 3, "\(failures) failed runs while \(number) messages came in 1.5 s")
        }
    }
}
