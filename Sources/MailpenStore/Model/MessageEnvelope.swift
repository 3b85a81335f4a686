import Foundation
import MailpenSMTPCore

/// How a message reached Mailpen, beside its bytes: the SMTP envelope and session facts.
///
/// The store's own type, so that the store does not depend on the SMTP server (its parameters and
/// recipients are the pure SMTP core's values).
public struct MessageEnvelope: Sendable, Hashable, Codable {
    /// Where the message came from.
    public enum Source: String, Sendable, Codable {
        case smtp
        case http
    }

    /// An ESMTP parameter, keyword upper-cased.
    public typealias Parameter = SMTPParameter

    /// One RCPT TO with its parameters.
    public typealias Recipient = SMTPRecipient

    public var source: Source
    public var mailFrom: String
    public var mailParameters: [Parameter]
    public var recipients: [Recipient]
    public var heloName: String?
    public var usedExtendedHello: Bool?
    public var clientAddress: String?
    public var clientPort: Int?
    public var tlsVersion: String?
    public var authenticatedUser: String?

    public init(
        source: Source,
        mailFrom: String,
        mailParameters: [Parameter] = [],
        recipients: [Recipient],
        heloName: String? = nil,
        usedExtendedHello: Bool? = nil,
        clientAddress: String? = nil,
        clientPort: Int? = nil,
        tlsVersion: String? = nil,
        authenticatedUser: String? = nil
    ) {
        self.source = source
        self.mailFrom = mailFrom
        self.mailParameters = mailParameters
        self.recipients = recipients
        self.heloName = heloName
        self.usedExtendedHello = usedExtendedHello
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.tlsVersion = tlsVersion
        self.authenticatedUser = authenticatedUser
    }
}
