import NIOCore

/// Who waits for a message's commit in a store's writer (SQLite or PostgreSQL): both commit queued messages
/// together (group commit) and hand each caller its own result, the same way.
package enum CommitWaiter: Sendable {
    /// A caller on an event loop; completed on that loop, with every other completion for it in one hop.
    case promise(EventLoopPromise<MessageSummary>)
    /// An async caller.
    case continuation(CheckedContinuation<MessageSummary, any Error>)

    /// Hands out results: one hop per event loop for all of its waiters, resumption for async callers.
    package static func complete(_ outcomes: some Sequence<(CommitWaiter, Result<MessageSummary, any Error>)>) {
        var byLoop:
            [ObjectIdentifier: (any EventLoop, [(EventLoopPromise<MessageSummary>, Result<MessageSummary, any Error>)])] =
                [:]
        for (waiter, result) in outcomes {
            switch waiter {
            case .continuation(let continuation):
                continuation.resume(with: result)
            case .promise(let promise):
                let loop = promise.futureResult.eventLoop
                byLoop[ObjectIdentifier(loop), default: (loop, [])].1.append((promise, result))
            }
        }
        for (loop, completions) in byLoop.values {
            loop.execute {
                for (promise, result) in completions { promise.completeWith(result) }
            }
        }
    }
}
