import MailpenSMTPCore
import NIOCore

/// Receives each finished transaction. The SMTP layer replies with what this returns, so the final
/// 250 goes out only after the handler has durably taken the message.
///
/// The handler is called on the session's event loop and answers with a future on it, so that a
/// handler that needs no Swift concurrency (Mailpen's store) costs no extra thread hops per message.
public protocol SMTPDeliveryHandler: Sendable {
    func deliver(_ transaction: SMTPTransaction, on eventLoop: any EventLoop) -> EventLoopFuture<SMTPDeliveryResult>
}
