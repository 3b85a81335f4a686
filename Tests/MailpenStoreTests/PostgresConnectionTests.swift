import Foundation
import MailpenTestSupport
import NIOCore
import NIOPosix
import PostgresNIO
import Testing

@testable import MailpenPostgres

/// Opening a connection takes no part in its task's cancellation. postgres-nio's `async` connect, cancelled
/// during the handshake, closes the channel yet can still return the connection, and a query on it never
/// ends: a store closed just after it opened cancelled its search filler mid-connect that way, and waited
/// for it forever (about one cancelled attempt in a hundred, spread over the handshake, did not end).
@Suite(
    "PostgreSQL connections", .enabled(if: TestPostgres.serverURL != nil, "\(TestPostgres.skipNote)"),
    .postgresTimeLimit)
struct PostgresConnectionTests {
    @Test func aTaskCancelledBeforeItConnectsStillGetsAConnectionThatAnswers() async throws {
        let configuration = try #require(TestPostgres.serverURL).connectionConfiguration()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            let connection = try await PostgresConnection.open(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1,
                logger: testLogger)
            defer { connection.closeInBackground() }
            var answers: [Int] = []
            for try await answer in try await connection.query("SELECT 1", logger: testLogger).decode(Int.self) {
                answers.append(answer)
            }
            return (Task.isCancelled, answers)
        }
        let (wasCancelled, answers) = try await task.value
        #expect(wasCancelled)
        #expect(answers == [1])
    }
}
