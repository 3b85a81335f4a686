import Logging
import Mailpen
import MailpenSMTP
import MailpenSMTPCore
import MailpenStore
import NIOConcurrencyHelpers
import NIOCore

/// Acknowledges every message at once and hands them to the store in large batches, one every
/// ``interval``: what storing costs when its commits are as large as a burst allows, whatever the senders
/// do. Any design that logs messages first and loads them into the same database and index later pays at
/// least this, plus its log.
final class DeferredStoring: SMTPDeliveryHandler, Sendable {
    static let interval = TimeAmount.milliseconds(20)

    private let store: SQLiteStore
    private let logger: Logger
    /// The messages not yet handed over, and whether a hand-over is scheduled.
    private let waiting = NIOLockedValueBox<(messages: [IncomingMessage], isScheduled: Bool)>(([], false))

    init(store: SQLiteStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult> {
        let message = IncomingMessage(
            inbox: Inbox.defaultName, raw: transaction.message, envelope: MessageEnvelope(transaction.envelope))
        let schedules = waiting.withLockedValue { waiting in
            waiting.messages.append(message)
            defer { waiting.isScheduled = true }
            return !waiting.isScheduled
        }
        if schedules {
            eventLoop.scheduleTask(in: Self.interval) { self.handOver(on: eventLoop) }
        }
        return eventLoop.makeSucceededFuture(.accepted(id: "deferred"))
    }

    /// Hands over what is waiting now; at shutdown, before the store closes, so that nothing acknowledged is
    /// left behind.
    func handOver(on eventLoop: any EventLoop) {
        let messages = waiting.withLockedValue { waiting in
            defer { waiting = ([], false) }
            return waiting.messages
        }
        let logger = self.logger
        for message in messages {
            store.store(message, on: eventLoop).whenFailure { logger.error("not stored: \($0)") }
        }
    }
}
