import MailpenChecks
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

extension CheckContext {
    /// What the checks look at in a stored message, for every API that runs them: its envelope only when it
    /// came over SMTP (the rules that compare a message with its envelope skip one posted over HTTP).
    package init(stored: StoredMessage) {
        let envelope = stored.envelope
        var checkEnvelope: CheckEnvelope?
        if envelope.source == .smtp {
            checkEnvelope = CheckEnvelope(
                mailFrom: envelope.mailFrom,
                bodyParameter: envelope.mailParameters.first { $0.keyword == "BODY" }?.value,
                smtpUTF8: envelope.mailParameters.contains { $0.keyword == "SMTPUTF8" },
                recipients: envelope.recipients.map(\.address))
        }
        self.init(message: MIMEMessage(stored.raw), envelope: checkEnvelope, receivedAt: stored.summary.receivedAt)
    }
}
