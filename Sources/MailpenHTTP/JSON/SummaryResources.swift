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
    /// The POP3 and IMAP settings, null when that server is off.
    @ExplicitNull var pop3: MailAccessSettingsResource?
    @ExplicitNull var imap: MailAccessSettingsResource?

    enum CodingKeys: String, CodingKey {
        case name, total, unread, routes, createdAt, smtp, autoRelay, pop3, imap
        case maximumMessages = "maxMessages"
        case maximumAgeSeconds = "maxAgeSeconds"
    }

    init(
        _ inbox: Inbox, smtp: SMTPAdvertisement, autoRelay: [AutoRelayRule]? = nil,
        pop3: MailAccessAdvertisement? = nil, imap: MailAccessAdvertisement? = nil
    ) {
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
        let login = (username: inbox.smtpUsername, password: inbox.smtpPassword)
        self.pop3 = pop3.map { MailAccessSettingsResource($0, username: login.username, password: login.password) }
        self.imap = imap.map { MailAccessSettingsResource($0, username: login.username, password: login.password) }
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

/// A page of summaries, written with ``SummaryJSON``: a page is the API's most requested answer.
struct MessageListResource: ResponseGenerator, Sendable {
    var page: MessagePage

    init(_ page: MessagePage) {
        self.page = page
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = "{\"limit\":\(page.limit),\"messages\":"
        SummaryJSON.append(page.messages, to: &json)
        json += ",\"offset\":\(page.offset),\"total\":\(page.total),\"unread\":\(page.unread)}"
        return SummaryJSON.response(json)
    }
}

/// The messages a wait returns, written like a page.
struct WaitResource: ResponseGenerator, Sendable {
    var messages: [MessageSummary]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = "{\"messages\":"
        SummaryJSON.append(messages, to: &json)
        return SummaryJSON.response(json + "}")
    }
}

struct DeleteResource: ResponseEncodable, Sendable {
    var deleted: Int
}
