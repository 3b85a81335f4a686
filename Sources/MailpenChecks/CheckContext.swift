import Foundation
import MailpenMIME

/// The SMTP envelope facts some checks need, as the server recorded them.
public struct CheckEnvelope: Sendable, Equatable {
    /// The MAIL FROM reverse-path without angle brackets; "" for the null sender `<>`.
    public var mailFrom: String
    /// The MAIL FROM `BODY=` parameter as given (`7BIT`, `8BITMIME`, `BINARYMIME`), nil when absent.
    public var bodyParameter: String?
    /// True when MAIL FROM carried `SMTPUTF8`.
    public var smtpUTF8: Bool
    /// The RCPT TO forward-paths without angle brackets.
    public var recipients: [String]

    public init(mailFrom: String, bodyParameter: String? = nil, smtpUTF8: Bool = false, recipients: [String] = []) {
        self.mailFrom = mailFrom
        self.bodyParameter = bodyParameter
        self.smtpUTF8 = smtpUTF8
        self.recipients = recipients
    }
}

/// Everything a check looks at: the parsed message, how it arrived, and when.
///
/// Build it once per request; parsing is done by `MIMEMessage` and bodies are decoded
/// lazily (and cached) by it, so passing one context to several checks shares that work.
public struct CheckContext: Sendable {
    public var message: MIMEMessage
    /// The SMTP envelope; nil when the message did not come over SMTP (e.g. uploaded),
    /// which skips the envelope rules (From/envelope domain, 8BITMIME, SMTPUTF8).
    public var envelope: CheckEnvelope?
    /// When the message was received; the date rules compare the Date header with it.
    public var receivedAt: Date

    public init(message: MIMEMessage, envelope: CheckEnvelope? = nil, receivedAt: Date = Date()) {
        self.message = message
        self.envelope = envelope
        self.receivedAt = receivedAt
    }

    /// Parses `raw` (the message exactly as received).
    public init(raw: [UInt8], envelope: CheckEnvelope? = nil, receivedAt: Date = Date()) {
        self.init(message: MIMEMessage(raw), envelope: envelope, receivedAt: receivedAt)
    }
}
