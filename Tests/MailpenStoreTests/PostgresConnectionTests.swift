import Foundation
import MailpenStore
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
            return (Task.isCancelled, connection)
        }
        let (wasCancelled, connection) = try await task.value
        defer { connection.closeInBackground() }
        #expect(wasCancelled)
        // Asked from a task that is not cancelled: postgres-nio's rows may end early in a cancelled one.
        var answers: [Int] = []
        for try await answer in try await connection.query("SELECT 1", logger: testLogger).decode(Int.self) {
            answers.append(answer)
        }
        #expect(answers == [1])
    }

    /// postgres-nio never answers a statement sent over a connection that has already closed; a request
    /// whose connection the server ended between two of its statements gets a 503's error within the
    /// watch's grace instead of holding its pool connection forever.
    @Test func aRequestWhoseConnectionTheServerEndedFailsInsteadOfWaitingForever() async throws {
        let configuration = try #require(TestPostgres.serverURL).connectionConfiguration()
        let loops = MultiThreadedEventLoopGroup.singleton
        let pool = PostgresPool(configuration: configuration, maximumConnections: 1, loops: loops, logger: testLogger)
        let terminator = try await PostgresConnection.open(
            on: loops.next(), configuration: configuration, id: 99, logger: testLogger)
        defer { terminator.closeInBackground() }
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { connection in
                var pids: [Int32] = []
                for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: testLogger)
                    .decode(Int32.self)
                {
                    pids.append(pid)
                }
                let pid = try #require(pids.first)
                try await terminator.run("SELECT pg_terminate_backend(\(pid))", logger: testLogger)
                while !connection.isClosed { try await Task.sleep(for: .milliseconds(5)) }
                try await connection.run("SELECT 1", logger: testLogger)
            }
        } throws: { error in
            guard case StoreError.unavailable = error else { return false }
            return true
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        // The pool made a fresh connection for the next request.
        let answer = try await pool.withConnection { connection in
            var answers: [Int] = []
            for try await answer in try await connection.query("SELECT 2", logger: testLogger).decode(Int.self) {
                answers.append(answer)
            }
            return answers
        }
        #expect(answer == [2])
        await pool.close()
    }

    /// Work that begins on a connection already closed is given up after the grace too: a statement sent
    /// over it would never be answered.
    @Test func workOnAConnectionAlreadyClosedIsGivenUp() async throws {
        let configuration = try #require(TestPostgres.serverURL).connectionConfiguration()
        let connection = try await PostgresConnection.open(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: testLogger)
        try await connection.close()
        let started = ContinuousClock.now
        await #expect {
            try await ClosingWatch(connection, grace: .milliseconds(200)).run {
                try await connection.run("SELECT 1", logger: testLogger)
            }
        } throws: { error in
            guard case StoreError.unavailable = error else { return false }
            return true
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
