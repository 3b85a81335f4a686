import Foundation
import MailpenTestSupport
import PostgresNIO
import Testing

@testable import MailpenPostgres
@testable import MailpenStore

/// The batch statement takes its time and message numbers from the server and makes the ids itself, as the
/// store's generator does, and announces a batch too large for one notification over several.
@Suite(
    "PostgreSQL batch statement", .enabled(if: StoreBackend.postgresURL != nil, "\(StoreBackend.skipNote)"),
    .postgresTimeLimit)
struct PostgresBatchInsertTests {
    /// The database's ids are the generator's for the same time and number, at the ends of their ranges too.
    @Test func theDatabaseMakesIdsAsTheGeneratorDoes() async throws {
        try await withPostgresDatabase { url in
            _ = try await PostgresStore.migrate(url)
            let cases: [(Int64, Int64)] = [
                (0, 0), (1, 1), (1_765_000_000_123, 42), (281_474_976_710_655, Int64.max), (1 << 48 | 5, 7),
                (1_765_000_000_000, 1 << 40 | 31), (Int64.random(in: 0..<(1 << 48)), Int64.random(in: 0...Int64.max)),
            ]
            try await withPostgresConnection(url) { connection in
                for (milliseconds, sequence) in cases {
                    let rows = try await connection.query(
                        "SELECT mailpen_message_id(\(milliseconds), \(sequence))", logger: testLogger)
                    var made: [String] = []
                    for try await id in rows.decode(String.self) { made.append(id) }
                    let expected = MessageIdentifierGenerator.identifier(
                        milliseconds: UInt64(milliseconds), sequence: UInt64(sequence))
                    #expect(made == [expected], "\(milliseconds), \(sequence)")
                }
            }
        }
    }

    /// 700 messages of two inboxes, taken in turns, in one statement: stored under ids made from the server's
    /// time and their numbers, in the order given, counted in their inboxes, and announced after the
    /// notifications passed in, over payloads each under the limit that together name each inbox's messages
    /// once, in order.
    @Test func aLargeBatchIsStoredAndAnnouncedInOrder() async throws {
        try await withPostgresDatabase { url in
            _ = try await PostgresStore.migrate(url)
            try await withPostgresConnection(url) { connection in
                let (inbox, _) = try await PostgresInboxes.create(
                    "first", password: "pw", at: Date(), on: connection, logger: testLogger)
                let (second, _) = try await PostgresInboxes.create(
                    "second", password: "pw", at: Date(), on: connection, logger: testLogger)
                let count = 700
                let entries: [BatchInsert.Entry] = (0..<count).map { index in
                    (
                        IncomingRow(incoming("Subject: batch \(index)\r\n\r\nbody \(index)\r\n")),
                        [inbox, second][index % 2]
                    )
                }
                let statement = try BatchInsert(
                    entries, added: [inbox.id: Int64(count / 2), second.id: Int64(count / 2)],
                    notifying: ["test i elsewhere created"], node: "test")

                let (payloads, written) = try await connection.listen(on: StoreNotification.channel) { notifications in
                    var rows: [BatchInsert.Row] = []
                    for try await row in try await connection.execute(statement, logger: testLogger) {
                        rows.append(row)
                    }
                    var payloads: [String] = []
                    var announced = 0
                    for try await notification in notifications where notification.payload.hasPrefix("test ") {
                        payloads.append(notification.payload)
                        if case .stored(_, let ids) = StoreNotification(payload: notification.payload)?.change {
                            announced += ids.count
                        }
                        if announced >= count { break }
                    }
                    return (payloads, rows)
                }

                let row = try #require(written.first)
                #expect(written.count == 1)
                #expect(row.counted.map(\.inbox) == [inbox.id, second.id].sorted())
                #expect(row.counted.map(\.count) == [Int64(count / 2), Int64(count / 2)])
                #expect(row.counted.map(\.limit) == [nil, nil])
                #expect(row.notificationsSent == Int64(payloads.count))
                let ids = row.ids
                #expect(ids.count == count)

                #expect(payloads.first == "test i elsewhere created")
                var announced: [String: [String]] = [:]
                for payload in payloads.dropFirst() {
                    guard case .stored(let name, let ids) = StoreNotification(payload: payload)?.change else {
                        Issue.record("not a stored payload: \(payload)")
                        continue
                    }
                    announced[name, default: []] += ids
                }
                #expect(announced[inbox.name] == ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
                #expect(announced[second.name] == ids.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
                #expect(payloads.count > 3, "each inbox's messages should need more than one payload")
                #expect(payloads.allSatisfy { $0.utf8.count <= StoreNotification.largestPayload })

                var stored: [(Int64, String, Int64, String, Int64)] = []
                for try await found in try await connection.query(
                    """
                    SELECT m.seq, m.id, m.received_at, m.subject, m.inbox_id FROM message m
                    JOIN message_search s ON s.seq = m.seq AND s.id = m.id AND s.received_at = m.received_at
                        AND s.inbox_id = m.inbox_id
                    ORDER BY m.seq
                    """, logger: testLogger
                ).decode((Int64, String, Int64, String, Int64).self) {
                    stored.append(found)
                }
                #expect(stored.map(\.1) == ids)
                #expect(stored.map(\.3) == (0..<count).map { "batch \($0)" })
                #expect(stored.map(\.4) == (0..<count).map { [inbox.id, second.id][$0 % 2] })
                for (seq, id, receivedAt, _, _) in stored {
                    #expect(receivedAt == row.milliseconds)
                    #expect(
                        id
                            == MessageIdentifierGenerator.identifier(
                                milliseconds: UInt64(receivedAt), sequence: UInt64(seq)))
                }
            }
        }
    }
}
