/// What happened to one delivery attempt: the outcome a retry queue acts on, the reply that decided it,
/// each recipient's fate and, when the connection itself failed, why.
public struct OutboundResult: Sendable, Hashable, CustomStringConvertible {
    /// The three fates a retry queue distinguishes.
    public enum Outcome: String, Sendable, Hashable {
        /// The server accepted the message (for every recipient whose outcome is also `sent`).
        case sent
        /// Worth trying again later: a 4xx reply, a connection or TLS failure, a timeout.
        case temporaryFailure
        /// Trying again would fail the same way: a 5xx reply, or a message this server cannot take.
        case permanentFailure

        /// How a reply that did not give the step what it asked for is classified: 5xx permanent, anything
        /// else temporary. A 2xx or 3xx where another reply was due (a 250 to STARTTLS, a 250 to DATA) is a
        /// server out of step, or someone on the path: worth trying again, and never a delivery.
        public init(refusalCode: Int) {
            self = (500..<600).contains(refusalCode) ? .permanentFailure : .temporaryFailure
        }
    }

    /// One recipient's fate in the attempt.
    public struct Recipient: Sendable, Hashable {
        public var address: String
        /// The reply to its RCPT TO, or `nil` if the attempt ended before it was answered.
        public var reply: SMTPServerReply?
        /// `sent` if the server took the message for this recipient; otherwise how it failed.
        public var outcome: Outcome

        public init(address: String, reply: SMTPServerReply?, outcome: Outcome) {
            self.address = address
            self.reply = reply
            self.outcome = outcome
        }
    }

    /// The attempt as a whole: `sent` when the message was accepted for at least one recipient (see
    /// ``recipients`` for the others); otherwise `temporaryFailure` if anything about the failure is worth
    /// retrying, else `permanentFailure`.
    public var outcome: Outcome
    /// The last reply the server sent before the outcome was known (`250 2.0.0 Ok: queued as …`).
    public var lastReply: SMTPServerReply?
    /// Every recipient of the message, in envelope order.
    public var recipients: [Recipient]
    /// Why the attempt failed, in one sentence: the refusing reply with the step it answered ("MAIL FROM
    /// refused: 550 …"), or a connection, TLS or timeout failure, or a message the server's announced
    /// extensions cannot carry. `nil` when the message was sent (refused recipients are in ``recipients``).
    public var error: String?

    public init(outcome: Outcome, lastReply: SMTPServerReply?, recipients: [Recipient], error: String?) {
        self.outcome = outcome
        self.lastReply = lastReply
        self.recipients = recipients
        self.error = error
    }

    /// Recipients worth another attempt: those that failed temporarily.
    public var recipientsToRetry: [String] {
        recipients.filter { $0.outcome == .temporaryFailure }.map(\.address)
    }

    /// One line for logs and for the user: the outcome, and the error or the last reply.
    public var description: String {
        let detail = error ?? lastReply?.text ?? "no reply"
        return "\(outcome.rawValue): \(detail)"
    }
}
