import Foundation
import Hummingbird
import MailpenStore

/// A mailbox in API responses.
struct AddressResource: Encodable, Sendable {
    @ExplicitNull var name: String?
    var address: String

    init(_ address: MessageAddress) {
        name = address.name
        self.address = address.address
    }
}

struct SMTPSettingsResource: Encodable, Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String
    var startTLS: Bool
    @ExplicitNull var implicitTLSPort: Int?
}

/// An inbox in API responses.
struct InboxResource: ResponseEncodable, Sendable {
    var name: String
    var total: Int
    var unread: Int
    @ExplicitNull var maximumMessages: Int?
    @ExplicitNull var maximumAgeSeconds: Int?
    var routes: [String]
    var createdAt: Date
    var smtp: SMTPSettingsResource
    /// The inbox's auto-relay rules; shown for one inbox, not in lists.
    var autoRelay: [AutoRelayRuleResource]?

    enum CodingKeys: String, CodingKey {
        case name, total, unread, routes, createdAt, smtp, autoRelay
        case maximumMessages = "maxMessages"
        case maximumAgeSeconds = "maxAgeSeconds"
    }

    init(_ inbox: Inbox, smtp: SMTPAdvertisement, autoRelay: [AutoRelayRule]? = nil) {
        self.autoRelay = autoRelay?.map(AutoRelayRuleResource.init)
        name = inbox.name
        total = inbox.total
        unread = inbox.unread
        maximumMessages = inbox.maximumMessages
        maximumAgeSeconds = inbox.maximumAgeSeconds
        routes = inbox.routes
        createdAt = inbox.createdAt
        self.smtp = SMTPSettingsResource(
            host: smtp.host, port: smtp.port, username: inbox.smtpUsername, password: inbox.smtpPassword,
            startTLS: smtp.startTLS, implicitTLSPort: smtp.implicitTLSPort)
    }
}

struct InboxListResource: ResponseEncodable, Sendable {
    var inboxes: [InboxResource]
}

/// A message summary in lists, waits and events: never a body.
struct SummaryResource: ResponseEncodable, Sendable {
    var id: String
    var inbox: String
    var receivedAt: Date
    @ExplicitNull var from: AddressResource?
    var to: [AddressResource]
    var cc: [AddressResource]
    var subject: String
    var snippet: String
    var size: Int
    var attachmentCount: Int
    var read: Bool
    var tags: [String]

    init(_ summary: MessageSummary) {
        id = summary.id
        inbox = summary.inbox
        receivedAt = summary.receivedAt
        from = summary.from.map(AddressResource.init)
        to = summary.to.map(AddressResource.init)
        cc = summary.cc.map(AddressResource.init)
        subject = summary.subject
        snippet = summary.snippet
        size = summary.size
        attachmentCount = summary.attachmentCount
        read = summary.isRead
        tags = summary.tags
    }
}

struct MessageListResource: ResponseEncodable, Sendable {
    var total: Int
    var unread: Int
    var offset: Int
    var limit: Int
    var messages: [SummaryResource]

    init(_ page: MessagePage) {
        total = page.total
        unread = page.unread
        offset = page.offset
        limit = page.limit
        messages = page.messages.map(SummaryResource.init)
    }
}

struct WaitResource: ResponseEncodable, Sendable {
    var messages: [SummaryResource]
}

struct DeleteResource: ResponseEncodable, Sendable {
    var deleted: Int
}
