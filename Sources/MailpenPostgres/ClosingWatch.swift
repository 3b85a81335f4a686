import MailpenStore
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// Gives up on work whose connection has closed under it. postgres-nio 1.33 never answers a statement sent
/// over a connection that has already closed (the server went away, or a failover ended it): the
/// statement's promise is dropped with the write, and its caller waits forever, holding a pool connection
/// or the writer's batch. Statements under way when the connection closes fail as they should, so work
/// still running a grace period after the close is stuck on one sent after it; its caller gets
/// ``StoreError/unavailable(_:)`` and the work's task is cancelled. A task stuck on such a statement stays
/// suspended, and what it holds (its statement, a writer's batch) is lost: at most one piece of work for
/// each connection closed under it, since a connection serves one at a time.
///
/// One watch per connection, made when it opens: a callback on the connection's close for every piece of
/// work would pile up for as long as the connection lives.
final class ClosingWatch: Sendable {
    let connection: PostgresConnection
    /// How long work may go on after its connection closed.
    let grace: TimeAmount
    private let state = NIOLockedValueBox(State())

    private struct State {
        var isClosed = false
        var nextToken = 0
        var watchers: [Int: @Sendable () -> Void] = [:]
    }

    init(_ connection: PostgresConnection, grace: TimeAmount = .seconds(1)) {
        self.connection = connection
        self.grace = grace
        connection.closeFuture.whenComplete { [weak self] _ in self?.closed() }
    }

    /// Runs `body` in a task of its own (with `executor` as its preference) and returns what it returns or
    /// throws, unless the connection closes and `body` has not ended `grace` later.
    func run<T: Sendable>(
        on executor: (any TaskExecutor)? = nil, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        // The first to complete it wins: the work, or the grace after the close.
        let loop = connection.eventLoop
        let outcome = loop.makePromise(of: T.self)
        let task = Task(executorPreference: executor) {
            do {
                outcome.succeed(try await body())
            } catch {
                outcome.fail(error)
            }
        }
        let grace = grace
        let token = watch {
            loop.scheduleTask(in: grace) {
                outcome.fail(StoreError.unavailable("the connection to the database closed"))
                // Work that was not stuck after all (between two statements, say) stops at its next await.
                task.cancel()
            }
        }
        defer { unwatch(token) }
        return try await withTaskCancellationHandler {
            try await outcome.futureResult.get()
        } onCancel: {
            task.cancel()
        }
    }

    /// Calls `onClose` when the connection closes, or at once if it has; returns a token to stop watching.
    private func watch(_ onClose: @escaping @Sendable () -> Void) -> Int? {
        let token: Int? = state.withLockedValue { state in
            guard !state.isClosed else { return nil }
            state.nextToken += 1
            state.watchers[state.nextToken] = onClose
            return state.nextToken
        }
        if token == nil { onClose() }
        return token
    }

    private func unwatch(_ token: Int?) {
        guard let token else { return }
        state.withLockedValue { _ = $0.watchers.removeValue(forKey: token) }
    }

    private func closed() {
        let watchers = state.withLockedValue { state in
            state.isClosed = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for onClose in watchers { onClose() }
    }
}
