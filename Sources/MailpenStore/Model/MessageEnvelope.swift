import Foundation

/// How a message reached Mailpen, beside its bytes: the SMTP envelope and session facts.
///
/// The store's own type, so that the store does not depend on the SMTP module.
public struct MessageEnvelope: Sendable, Hashable, Codable {
    /// Where the message came from.
    public enum Source: String, Sendable, Codable {
        case smtp
        case http
    }

    /// An ESMTP parameter, keyword upper-cased.
    public struct Parameter: Sendable, Hashable, Codable {
        public var keyword: String
        public var value: String?

        public init(keyword: String, value: String?) {
            self.keyword = keyword
            self.value = value
        }
    }

    /// One RCPT TO with its parameters.
    public struct Recipient: Sendable, Hashable, Codable {
        public var address: String
        public var parameters: [Parameter]

        public init(address: String, parameters: [Parameter] = []) {
            self.address = address
            self.parameters = parameters
        }
    }

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
