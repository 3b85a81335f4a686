import Mailpen
import MailpenSMTPCore
import MailpenStore

extension IncomingMessage {
    /// The message of an SMTP transaction, for the default inbox: what every storing mode of this tool keeps.
    init(defaultInboxOf transaction: SMTPTransaction) {
        self.init(inbox: Inbox.defaultName, raw: transaction.message, envelope: MessageEnvelope(transaction.envelope))
    }
}
