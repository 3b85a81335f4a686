import NIOCore

/// A store's writer (SQLite or PostgreSQL): an actor on an event loop of its own that commits queued
/// messages together (group commit). Both stores take a new message the same way: refused once the store is
/// closed, its inbox name checked, it is prepared on the calling thread and queued for the writer's next
/// commit, its caller answered through a ``CommitWaiter``.
package protocol GroupCommitWriter: Actor {
    /// A message as the writer's batch takes it.
    associatedtype Row: PreparedRow

    /// The event loop the writer runs on (its executor).
    nonisolated var loop: any EventLoop { get }
    /// Queues `row` for the next commit; `waiter` learns how it went.
    func enqueue(_ row: Row, for waiter: CommitWaiter)
}

/// A message prepared (parsed) for a writer's batch, on the thread of the caller that stores it.
package protocol PreparedRow: Sendable {
    init(_ message: IncomingMessage)
}

extension GroupCommitWriter {
    /// Queues a row and completes `promise` on its event loop once it is committed (or has failed).
    /// Callable from any thread without waiting.
    package nonisolated func submit(_ row: Row, promise: EventLoopPromise<MessageSummary>) {
        loop.execute {
            self.assumeIsolated { $0.enqueue(row, for: .promise(promise)) }
        }
    }

    /// Stores a row and returns once it is committed.
    package func insert(_ row: Row) async throws -> MessageSummary {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(row, for: .continuation(continuation))
        }
    }

    /// Stores `message`, returning once it is committed (batched with concurrent callers). `ensureOpen` is
    /// the store's check that it is still open.
    package nonisolated func store(
        _ message: IncomingMessage, whileOpen ensureOpen: () throws -> Void
    ) async throws -> MessageSummary {
        try ensureOpen()
        guard Inbox.isValidName(message.inbox) else { throw StoreError.invalidInboxName(message.inbox) }
        return try await insert(Row(message))
    }

    /// Prepares `message` and queues it for the next commit; the future completes on `eventLoop` once it
    /// is committed.
    package nonisolated func store(
        _ message: IncomingMessage, on eventLoop: any EventLoop, whileOpen ensureOpen: () throws -> Void
    ) -> EventLoopFuture<MessageSummary> {
        do {
            try ensureOpen()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        guard Inbox.isValidName(message.inbox) else {
            return eventLoop.makeFailedFuture(StoreError.invalidInboxName(message.inbox))
        }
        let promise = eventLoop.makePromise(of: MessageSummary.self)
        submit(Row(message), promise: promise)
        return promise.futureResult
    }
}
