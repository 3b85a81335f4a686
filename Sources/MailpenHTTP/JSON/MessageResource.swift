import Foundation
import Hummingbird
import MailpenMIME
import MailpenSMTPCore
import MailpenStore

/// The full message of `GET /api/v1/messages/{id}`: the summary's fields, and beside them every header,
/// both bodies, attachments, the MIME tree and how it arrived (envelope and session).
struct MessageResource: ResponseEncodable, Sendable {
    var summary: SummaryResource
    var details: MessageDetailsResource

    init(_ stored: StoredMessage, parsed message: MIMEMessage) {
        summary = SummaryResource(stored.summary)
        details = MessageDetailsResource(stored, parsed: message)
    }

    /// One JSON object: the summary's keys and the details' keys side by side.
    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        try details.encode(to: encoder)
    }
}

/// What `GET /api/v1/messages/{id}` adds to the summary.
struct MessageDetailsResource: Encodable, Sendable {
    var sender: [AddressResource]
    var replyTo: [AddressResource]
    var bcc: [AddressResource]
    @ExplicitNull var date: Date?
    @ExplicitNull var messageId: String?
    var inReplyTo: [String]
    var references: [String]
    var headers: [HeaderResource]
    @ExplicitNull var text: String?
    @ExplicitNull var html: String?
    var attachments: [AttachmentResource]
    var parts: PartResource
    var envelope: EnvelopeResource
    var session: SessionResource

    init(_ stored: StoredMessage, parsed message: MIMEMessage) {
        let id = stored.summary.id
        func addresses(_ list: [MIMEAddress]) -> [AddressResource] {
            list.map { AddressResource(MessageAddress(name: $0.name, address: $0.address)) }
        }
        sender = addresses(message.sender)
        replyTo = addresses(message.replyTo)
        bcc = addresses(message.bcc)
        date = message.date
        messageId = message.messageID
        inReplyTo = message.inReplyTo
        references = message.references
        headers = message.header.fields.map(HeaderResource.init)
        text = message.textBody
        html = message.htmlBody
        attachments = message.attachments.map { attachment in
            AttachmentResource(
                partId: attachment.partID, filename: attachment.filename, contentType: attachment.contentType,
                size: attachment.size, contentId: attachment.contentID, inline: attachment.isInline,
                url: PartURL.path(messageID: id, partID: attachment.partID))
        }
        parts = PartResource(message.root, messageID: id)
        envelope = EnvelopeResource(stored.envelope)
        session = SessionResource(stored.envelope)
    }
}

/// One header field: decoded value and the text as written.
struct HeaderResource: ResponseEncodable, Sendable {
    var name: String
    var value: String
    var raw: String

    init(_ field: MIMEHeaderField) {
        name = field.name
        value = field.value
        raw = field.raw
    }
}

struct HeaderListResource: ResponseEncodable, Sendable {
    var headers: [HeaderResource]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(headers)
    }
}

struct AttachmentResource: Encodable, Sendable {
    var partId: String
    @ExplicitNull var filename: String?
    var contentType: String
    var size: Int
    @ExplicitNull var contentId: String?
    var inline: Bool
    var url: String
}

/// A node of the MIME tree.
struct PartResource: Encodable, Sendable {
    var partId: String
    var contentType: String
    @ExplicitNull var charset: String?
    var transferEncoding: String
    @ExplicitNull var disposition: String?
    @ExplicitNull var filename: String?
    @ExplicitNull var contentId: String?
    var size: Int
    var url: String
    var children: [PartResource]
    var problems: [String]

    init(_ part: MIMEPart, messageID: String) {
        partId = part.id
        contentType = part.contentType.mimeType
        charset = part.charset
        transferEncoding = part.transferEncoding
        disposition = part.disposition
        filename = part.filename
        contentId = part.contentID
        size = part.decodedSize
        url = PartURL.path(messageID: messageID, partID: part.id)
        children = part.children.map { PartResource($0, messageID: messageID) }
        problems = part.problems.map { "\($0)" }
    }
}

struct ParameterResource: Encodable, Sendable {
    var keyword: String
    @ExplicitNull var value: String?
}

struct EnvelopeResource: Encodable, Sendable {
    struct Recipient: Encodable, Sendable {
        var address: String
        var parameters: [ParameterResource]
    }

    var source: String
    var mailFrom: String
    var mailParameters: [ParameterResource]
    var recipients: [Recipient]

    init(_ envelope: MessageEnvelope) {
        source = envelope.source.rawValue
        mailFrom = envelope.mailFrom
        mailParameters = envelope.mailParameters.map { ParameterResource(keyword: $0.keyword, value: $0.value) }
        recipients = envelope.recipients.map { recipient in
            Recipient(
                address: recipient.address,
                parameters: recipient.parameters.map { ParameterResource(keyword: $0.keyword, value: $0.value) })
        }
    }
}

struct SessionResource: Encodable, Sendable {
    @ExplicitNull var heloName: String?
    @ExplicitNull var usedExtendedHello: Bool?
    @ExplicitNull var clientAddress: String?
    @ExplicitNull var clientPort: Int?
    @ExplicitNull var tlsVersion: String?
    @ExplicitNull var authenticatedUser: String?

    init(_ envelope: MessageEnvelope) {
        heloName = envelope.heloName
        usedExtendedHello = envelope.usedExtendedHello
        clientAddress = envelope.clientAddress
        clientPort = envelope.clientPort
        tlsVersion = envelope.tlsVersion
        authenticatedUser = envelope.authenticatedUser
    }
}
