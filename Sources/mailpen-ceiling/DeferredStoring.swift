import Logging
import Mailpen
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOConcurrencyHelpers
import NIOCore

/// Acknowledges every message at once and hands them to the store in large batches, one every
/// ``interval``: what storing costs when no commit is waited for and commits are as large as a 20 ms
/// gather makes them, whatever the senders do. A design that logs messages first and loads them into the
/// same database and index later would pay about this, plus its log.
final class DeferredStoring: SMTPDeliveryHandler, Sendable {
    static let interval = TimeAmount.milliseconds(20)

    private struct Waiting {
        var messages: [IncomingMessage] = []
        var isHandOverScheduled = false
    }

    private let store: SQLiteStore
    private let logger: Logger
    private let waiting = NIOLockedValueBox(Waiting())

    init(store: SQLiteStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        enqueue(IncomingMessage(defaultInboxOf: transaction), on: eventLoop)
        return eventLoop.makeSucceededFuture(.accepted(id: "deferred"))
    }

    /// Queues `message` for the next hand-over, scheduled on `eventLoop` when none is.
    func enqueue(_ message: IncomingMessage, on eventLoop: any EventLoop) {
        let schedules = waiting.withLockedValue { waiting in
            waiting.messages.append(message)
            defer { waiting.isHandOverScheduled = true }
            return !waiting.isHandOverScheduled
        }
        if schedules {
            eventLoop.scheduleTask(in: Self.interval) { self.handOver(on: eventLoop) }
        }
    }

    /// Hands over what is waiting now. At shutdown it runs once more before the store closes: the messages
    /// are handed over under the lock, so once it returns no scheduled hand-over is midway, and nothing
    /// acknowledged reaches the store after it closed.
    func handOver(on eventLoop: any EventLoop) {
        let logger = self.logger
        waiting.withLockedValue { waiting in
            for message in waiting.messages {
                store.store(message, on: eventLoop).whenFailure { logger.error("not stored: \($0)") }
            }
            waiting = Waiting()
        }
    }
}
